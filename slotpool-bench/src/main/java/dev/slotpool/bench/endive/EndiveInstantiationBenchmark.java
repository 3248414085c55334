package dev.slotpool.bench.endive;

import dev.slotpool.endive.PooledInstance;
import dev.slotpool.endive.WasmInstancePool;
import dev.slotpool.testkit.wasm.TestModules;
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
import run.endive.runtime.Instance;
import run.endive.wasm.Parser;
import run.endive.wasm.WasmModule;

/**
 * {@code ChicoryInstantiationBenchmark} on Endive: instantiate a module, call one export, drop the
 * instance, with Endive's default memory against slotpool-endive's pooled memories, for a module
 * with a data segment of {@code dataBytes} (64 KiB and 8 MiB) at offset 0. The cases and pool
 * settings are the Chicory benchmark's, so the two compare case by case:
 *
 * <ul>
 *   <li>{@code endiveDefault}: {@code Instance.builder(module).build()}, which allocates the memory
 *       and copies the segment into it every time;
 *   <li>{@code pooledCold}: two parses of the same bytes take turns in a one-slot pool: every
 *       instantiation is an affinity miss that maps its image copy-on-write;
 *   <li>{@code pooledWarm}: the same module every time: a warm affinity hit;
 *   <li>{@code pooledWarmShared}: as {@code pooledWarm} in a pool that is not thread-confined;
 *   <li>{@code endiveSetupOnly}: the same export in a module with no memory: Endive's own instance
 *       setup and call.
 * </ul>
 *
 * <p>Run: {@code java -jar slotpool-bench/target/benchmarks.jar EndiveInstantiationBenchmark}
 * (quick look: add {@code -f 1 -wi 2 -i 3 -w 1s -r 1s}; beside Chicory: {@code
 * '(Chicory|Endive)InstantiationBenchmark'}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class EndiveInstantiationBenchmark {
  /** Where {@code run} reads: in the first page, where a module's stack and statics usually are. */
  private static final int ADDRESS = 1000;

  @Param({"65536", "8388608"})
  int dataBytes;

  private WasmModule module;
  private WasmModule twin;
  private WasmModule noMemory;
  private WasmInstancePool warmPool;
  private WasmInstancePool coldPool;
  private WasmInstancePool sharedPool;
  private boolean flip;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] wasm = TestModules.dataSegmentModule(dataBytes);
    module = Parser.parse(wasm);
    twin = Parser.parse(wasm);
    noMemory = Parser.parse(TestModules.identityModule());
    warmPool = pool(true);
    coldPool = pool(true);
    sharedPool = pool(false);
  }

  private static WasmInstancePool pool(boolean threadConfined) {
    return WasmInstancePool.builder()
        .slots(1)
        .maxMemoryBytes(16 << 20)
        .keepResidentBytes(1 << 20)
        .threadConfined(threadConfined)
        .build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    warmPool.close();
    coldPool.close();
    sharedPool.close();
  }

  @Benchmark
  public long endiveDefault() {
    Instance instance = Instance.builder(module).build();
    return instance.export("run").apply(ADDRESS)[0];
  }

  @Benchmark
  public long pooledCold() {
    flip = !flip;
    try (PooledInstance pooled = coldPool.instantiate(flip ? module : twin)) {
      return pooled.instance().export("run").apply(ADDRESS)[0];
    }
  }

  @Benchmark
  public long pooledWarm() {
    try (PooledInstance pooled = warmPool.instantiate(module)) {
      return pooled.instance().export("run").apply(ADDRESS)[0];
    }
  }

  @Benchmark
  public long pooledWarmShared() {
    try (PooledInstance pooled = sharedPool.instantiate(module)) {
      return pooled.instance().export("run").apply(ADDRESS)[0];
    }
  }

  @Benchmark
  public long endiveSetupOnly() {
    Instance instance = Instance.builder(noMemory).build();
    return instance.export("run").apply(ADDRESS)[0];
  }
}
