package dev.slotpool.bench.index;

import dev.slotpool.index.AffinityAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The seed's random test, one step per operation: free a random held slot with probability 1/2,
 * else allocate for a uniformly random key. {@code shape} is capacity/keys/threshold. The simple
 * allocator ignores keys. Every step allocates nothing.
 *
 * <pre>
 * java -jar slotpool-bench/target/benchmarks.jar 'index.MixBenchmark' -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MixBenchmark {
  @Param({"exact", "sharded", "simple"})
  String impl;

  @Param({"1000/10/1000", "1000/100/100", "10000/1000/1000"})
  String shape;

  private AffinityAllocator<Object> allocator;
  private MixWorkload mix;

  /** Public for JMH. */
  public MixBenchmark() {}

  @Setup
  public void setUp() {
    String[] parts = shape.split("/");
    int capacity = Integer.parseInt(parts[0]);
    int keys = Integer.parseInt(parts[1]);
    int threshold = Integer.parseInt(parts[2]);
    allocator = Allocators.create(impl, capacity, threshold);
    mix = new MixWorkload(capacity, MixWorkload.uniformKeys(keys, 42), 7);
  }

  @Benchmark
  public int mix() {
    return mix.step(allocator);
  }
}
