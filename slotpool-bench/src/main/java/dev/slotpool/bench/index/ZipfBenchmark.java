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
 * The {@code mix} step with skewed keys: 1000 keys with Zipf(0.99) popularity (key k drawn with
 * weight 1/(k+1)^0.99), capacity 10000, threshold 1000, as a module population with a few hot
 * modules and a long tail. Every step allocates nothing.
 *
 * <pre>
 * java -jar slotpool-bench/target/benchmarks.jar 'index.ZipfBenchmark' -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ZipfBenchmark {
  @Param({"exact", "sharded", "simple"})
  String impl;

  private AffinityAllocator<Object> allocator;
  private MixWorkload mix;

  /** Public for JMH. */
  public ZipfBenchmark() {}

  @Setup
  public void setUp() {
    allocator = Allocators.create(impl, 10_000, 1000);
    mix = new MixWorkload(10_000, MixWorkload.zipfKeys(1000, 0.99, 42), 7);
  }

  @Benchmark
  public int zipf() {
    return mix.step(allocator);
  }
}
