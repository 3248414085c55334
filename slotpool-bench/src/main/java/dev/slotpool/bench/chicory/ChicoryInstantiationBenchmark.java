package dev.slotpool.bench.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
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

/**
 * Instantiate a module, call one export, drop the instance: Chicory's default memory against
 * slotpool's pooled memories, for a module with a data segment of {@code dataBytes} (64 KiB and 8
 * MiB) at offset 0.
 *
 * <ul>
 *   <li>{@code chicoryDefault}: {@code Instance.builder(module).build()}, which allocates the
 *       memory and copies the segment into it every time;
 *   <li>{@code pooledCold}: a one-slot pool shared by two parses of the same bytes, taken in turn,
 *       so every instantiation is an affinity miss that maps its image copy-on-write into a slot
 *       that held the other module (and the release before it resets the pages touched);
 *   <li>{@code pooledWarm}: the same module every time: a warm affinity hit that maps nothing and
 *       copies nothing;
 *   <li>{@code pooledDefault}: as {@code pooledWarm} on {@code WasmInstancePool.builder().build()},
 *       no options: what a new user gets;
 *   <li>{@code chicorySetupOnly}: the same export in a module with no memory, instantiated by
 *       Chicory: the part of every variant that is Chicory's own instance setup and call.
 * </ul>
 *
 * <p>Pools but the default one have one slot and keep 1 MiB resident.
 *
 * <p>Run: {@code java -jar slotpool-bench/target/benchmarks.jar ChicoryInstantiationBenchmark}
 * (quick look: add {@code -f 1 -wi 2 -i 3 -w 1s -r 1s}; allocation: {@code -prof gc}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ChicoryInstantiationBenchmark {
  /** Where {@code run} reads: in the first page, where a module's stack and statics usually are. */
  private static final int ADDRESS = 1000;

  @Param({"65536", "8388608"})
  int dataBytes;

  private WasmModule module;
  private WasmModule twin;
  private WasmModule noMemory;
  private WasmInstancePool warmPool;
  private WasmInstancePool coldPool;
  private WasmInstancePool defaultPool;
  private boolean flip;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] wasm = TestModules.dataSegmentModule(dataBytes);
    module = Parser.parse(wasm);
    twin = Parser.parse(wasm);
    noMemory = Parser.parse(TestModules.identityModule());
    // 1 MiB kept resident: the pages a request touches near the start of memory stay mapped.
    warmPool = pool();
    coldPool = pool();
    defaultPool = WasmInstancePool.builder().build();
  }

  private static WasmInstancePool pool() {
    return WasmInstancePool.builder()
        .slots(1)
        .maxMemoryBytes(16 << 20)
        .keepResidentBytes(1 << 20)
        .build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    warmPool.close();
    coldPool.close();
    defaultPool.close();
  }

  @Benchmark
  public long chicoryDefault() {
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
  public long pooledDefault() {
    try (PooledInstance pooled = defaultPool.instantiate(module)) {
      return pooled.instance().export("run").apply(ADDRESS)[0];
    }
  }

  @Benchmark
  public long chicorySetupOnly() {
    Instance instance = Instance.builder(noMemory).build();
    return instance.export("run").apply(ADDRESS)[0];
  }
}
