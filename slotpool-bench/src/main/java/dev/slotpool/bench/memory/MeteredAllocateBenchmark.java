package dev.slotpool.bench.memory;

import dev.slotpool.memory.MemoryImage;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PooledMemory;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a Micrometer {@code Timer} costs on the warm path: allocate a warm slot of the default pool
 * (a 64 KiB image already in place), write one value, release, with and without a timer recording
 * the allocation. Decides whether slotpool-micrometer offers an allocation timer
 * (docs/BENCHMARKS.md, "Micrometer timer on the warm path"). Run:
 *
 * <pre>
 * ./mvnw -B -o -q -pl slotpool-bench -am package -DskipTests
 * java -jar slotpool-bench/target/benchmarks.jar MeteredAllocateBenchmark -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class MeteredAllocateBenchmark {
  private static final long SIZE = 64 << 10;

  private MemoryImage image;
  private MemoryPool pool;
  private SimpleMeterRegistry registry;
  private Timer timer;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] data = new byte[(int) SIZE];
    new SplittableRandom(1).nextBytes(data); // a module's data: mapped, and kept by the warm slot
    image = MemoryImage.of(data);
    pool = MemoryPool.builder().slots(4).maxMemoryBytes(1 << 20).build();
    registry = new SimpleMeterRegistry();
    timer = Timer.builder("slotpool.allocate").tag("pool", "bench").register(registry);
    plain(); // the slot is warm from here on
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.close();
    image.close();
    registry.close();
  }

  /** Allocate a warm slot, write, release. */
  @Benchmark
  public long plain() {
    try (PooledMemory memory = pool.allocate("module", image, SIZE)) {
      memory.segment().set(ValueLayout.JAVA_LONG, 8, 42);
      return memory.slot();
    }
  }

  /** The same, with the allocation timed by a Micrometer timer, as an allocation timer would. */
  @Benchmark
  public long timed() {
    long start = System.nanoTime();
    PooledMemory lease = pool.allocate("module", image, SIZE);
    timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    try (PooledMemory memory = lease) {
      memory.segment().set(ValueLayout.JAVA_LONG, 8, 42);
      return memory.slot();
    }
  }
}
