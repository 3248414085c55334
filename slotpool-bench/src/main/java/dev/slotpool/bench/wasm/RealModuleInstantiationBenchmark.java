package dev.slotpool.bench.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import dev.slotpool.chicory.WasmInstancePool;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * The instance part of a request on a real module ({@link RealModules}): a fresh WASI context and
 * the request's imports, an instance built with no start function, dropped or closed; the module's
 * own code never runs ({@link RealModule#instantiate}). It is the part a pool can change: {@link
 * RealModuleRequestBenchmark} times the whole request, whose remainder (the module's start function
 * or entry point) is the same work on either memory.
 *
 * <ul>
 *   <li>{@code plain}: {@code Instance.builder(module)...build()}, Chicory's own memory, allocated
 *       and filled from the data segments;
 *   <li>{@code defaultPool}: {@code WasmInstancePool.builder().build()}, the module's warm slot.
 * </ul>
 *
 * <p>{@code engine} picks the machine factory as in {@link RealModuleRequestBenchmark} (each
 * instance gets a machine; nothing runs on it). Run:
 *
 * <pre>
 * java -jar slotpool-bench/target/benchmarks.jar '^dev.slotpool.bench.wasm.RealModuleInstantiationBenchmark' \
 *   -p engine=COMPILER
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RealModuleInstantiationBenchmark {
  @Param({
    "c-greet",
    "c-sha256",
    "c-json",
    "c-alloc",
    "c-sort",
    "c-grep",
    "rust-greet",
    "wabt-wat2wasm",
    "wabt-wast2json",
    "quickjs", // Chicory-built machine
    "sqlite" // Chicory-built machine
  })
  String module;

  @Param({"INTERPRETER", "COMPILER"})
  Engine engine;

  private RealModule real;
  private Function<Instance, Machine> machine;
  private WasmInstancePool defaultPool;
  private Instantiator plain;
  private Instantiator pooled;

  @Setup(Level.Trial)
  public void setUp() {
    real = RealModules.get(module);
    machine = real.machineFactory(engine);
    defaultPool = Pools.defaults();
    plain = Instantiator.plain();
    pooled = Instantiator.pooled(defaultPool);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    defaultPool.close();
  }

  @Benchmark
  public int plain() {
    return real.instantiate(plain, machine);
  }

  @Benchmark
  public int defaultPool() {
    return real.instantiate(pooled, machine);
  }
}
