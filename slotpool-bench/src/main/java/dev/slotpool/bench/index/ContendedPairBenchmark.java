package dev.slotpool.bench.index;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AllocatorStats;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Two threads on one shared allocator: the single-lock exact allocator against the sharded one.
 *
 * <ul>
 *   <li>{@code pair}: each thread allocates and frees on a key of its own (keys "module-0" and
 *       "module-1", which fall in different stripes of the default sharded allocator); one
 *       operation is one pair.
 *   <li>{@code mix}: each thread runs the seed's {@code mix} step (its own held slots and random
 *       decisions, the same 10 keys for both) on one allocator of capacity 1000, threshold 1000;
 *       one operation is one step. The affinity hit rate over the whole trial is printed at the end
 *       of each fork ("affinity hit rate ... ").
 * </ul>
 *
 * <p>Throughput, so the figures of one run compare directly: the goal is sharded at least 1.6 times
 * exact. Nothing is allocated per operation.
 *
 * <pre>
 * java -jar slotpool-bench/target/benchmarks.jar 'index.ContendedPairBenchmark' -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class ContendedPairBenchmark {

  /** The allocator both threads share. */
  @State(Scope.Benchmark)
  public static class Shared {
    @Param({"exact", "sharded"})
    String impl;

    AffinityAllocator<Object> allocator;
    final AtomicInteger threads = new AtomicInteger();

    /** Public for JMH. */
    public Shared() {}

    @Setup(Level.Trial)
    public void setUp() {
      allocator = Allocators.create(impl, 1000, 1000);
    }

    @TearDown(Level.Trial)
    public void report() {
      AllocatorStats s = allocator.stats();
      System.out.printf(
          "%n%s: affinity hit rate %.4f (hits %d, misses %d, cold %d, evictions %d)%n",
          impl,
          s.affinityHitRate(),
          s.affinityHits(),
          s.affinityMisses(),
          s.coldAllocations(),
          s.warmEvictions());
    }
  }

  /** What one thread owns: its key. */
  @State(Scope.Thread)
  public static class PerThread {
    Object key;
    AffinityAllocator<Object> allocator;

    /** Public for JMH. */
    public PerThread() {}

    @Setup(Level.Trial)
    public void setUp(Shared shared) {
      int id = shared.threads.getAndIncrement();
      key = "module-" + id;
      allocator = shared.allocator;
    }
  }

  /** Public for JMH. */
  public ContendedPairBenchmark() {}

  @Benchmark
  public int pair(PerThread t) {
    return PairBenchmark.pair(t.allocator, t.key);
  }
}
