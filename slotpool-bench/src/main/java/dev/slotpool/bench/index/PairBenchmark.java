package dev.slotpool.bench.index;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.index.ShardedAffinityIndexAllocator;
import dev.slotpool.index.SimpleIndexAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One allocation and its free, over and over, from one thread: the cost of the affine fast path.
 * {@code hotPair} allocates for the same key every time, so every allocation is an affine hit on
 * the slot just freed; {@code simplePair} does the same on the simple allocator. Capacity 1000,
 * threshold 1000. One operation is one pair; nothing is allocated.
 *
 * <pre>
 * java -jar slotpool-bench/target/benchmarks.jar 'index.PairBenchmark' -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PairBenchmark {
  private final Object key = "module-7";
  private AffinityAllocator<Object> exact;
  private AffinityAllocator<Object> sharded;
  private SimpleIndexAllocator simple;

  /** Public for JMH. */
  public PairBenchmark() {}

  @Setup
  public void setUp() {
    exact = new AffinityIndexAllocator<>(1000, 1000);
    sharded = new ShardedAffinityIndexAllocator<>(1000, 1000);
    simple = new SimpleIndexAllocator(1000);
  }

  @Benchmark
  public int hotPairExact() {
    return pair(exact, key);
  }

  @Benchmark
  public int hotPairSharded() {
    return pair(sharded, key);
  }

  @Benchmark
  public int simplePair() {
    int slot = simple.alloc();
    simple.free(slot, 0);
    return slot;
  }

  static int pair(AffinityAllocator<Object> a, Object key) {
    int slot = a.alloc(key);
    a.free(slot, 0);
    return slot;
  }
}
