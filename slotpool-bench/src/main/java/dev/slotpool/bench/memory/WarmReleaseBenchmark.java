package dev.slotpool.bench.memory;

import dev.slotpool.memory.MemoryImage;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PooledMemory;
import java.lang.foreign.MemorySegment;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Allocate, use and release a warm slot of a real-sized memory, as a short Wasm request does: 17
 * Wasm pages (1.1 MiB) accessible with a 64 KiB data image, 20 to 60 OS pages written (the first
 * ones of a fixed random set of 60, as a module's stack, heap and data are the same pages each
 * request), then a one-Wasm-page {@code memory.grow} whose first page is written, then close.
 *
 * <p>{@code pool}: {@code default} is {@code MemoryPool.builder().build()}'s settings (adaptive
 * keep-resident, confined leases); {@code keepResident0} is the old default's reset ({@code
 * keepResidentBytes(0)}: every touched page faults again next time), confined; {@code shared} is
 * the default reset with {@code threadConfined(false)} (a JVM-wide handshake per release). Run:
 *
 * <pre>
 * ./mvnw -B -o -q -pl slotpool-bench -am package -DskipTests
 * java -jar slotpool-bench/target/benchmarks.jar WarmReleaseBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class WarmReleaseBenchmark {
  private static final long WASM_PAGE = 64 << 10;
  private static final long INITIAL = 17 * WASM_PAGE;

  /** The pool's settings. */
  @Param({"default", "keepResident0", "shared"})
  public String pool;

  private MemoryImage image;
  private MemoryPool memoryPool;
  private long[] offsets;
  private SplittableRandom random;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] data = new byte[(int) WASM_PAGE];
    new SplittableRandom(1).nextBytes(data);
    image = MemoryImage.of(data);
    MemoryPool.Builder builder = MemoryPool.builder().slots(4).maxMemoryBytes(64L << 20);
    switch (pool) {
      case "default" -> {}
      case "keepResident0" -> builder.keepResidentBytes(0);
      case "shared" -> builder.threadConfined(false);
      default -> throw new IllegalArgumentException("pool: " + pool);
    }
    memoryPool = builder.build();
    long page = MemoryPool.pageSize();
    random = new SplittableRandom(2);
    offsets = new long[60];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = random.nextLong(INITIAL / page) * page;
    }
    for (int i = 0; i < 3; i++) {
      request();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    memoryPool.close();
    image.close();
  }

  /** One request; returns a checksum so that nothing is optimised away. */
  @Benchmark
  public long request() {
    try (PooledMemory memory = memoryPool.allocate("module", image, INITIAL)) {
      MemorySegment segment = memory.segment();
      int writes = 20 + random.nextInt(41);
      long sum = 0;
      for (int i = 0; i < writes; i++) {
        long at = offsets[i];
        segment.set(ValueLayout.JAVA_LONG, at, i);
        sum += segment.get(ValueLayout.JAVA_BYTE, at + 9);
      }
      MemorySegment grown = memory.grow(INITIAL + WASM_PAGE);
      grown.set(ValueLayout.JAVA_LONG, INITIAL, sum);
      return sum;
    }
  }
}
