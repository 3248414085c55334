package dev.slotpool.bench.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiOptions;
import dev.slotpool.chicory.PreparedModule;
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
 * One request per operation on a real module ({@link RealModules}): instantiate, the module's own
 * entry point ({@code _start} with its arguments and stdin for a WASI program, the library calls
 * for QuickJS and SQLite), drop or close the instance. Three ways to get the instance:
 *
 * <ul>
 *   <li>{@code plain}: {@code Instance.builder(module)...build()}, Chicory's own memory;
 *   <li>{@code defaultPool}: {@code WasmInstancePool.builder().build()}, no options;
 *   <li>{@code tunedPool}: {@code threadConfined(true).keepResidentBytes(32 MiB)}, the hand-tuned
 *       fixed keep-resident pool.
 * </ul>
 *
 * <p>{@code engine} is Chicory's interpreter or its compiler: the runtime compiler ({@code
 * MachineFactoryCompiler}, compiled once per trial, outside the measurement), or for {@code
 * quickjs} and {@code sqlite} the machine their artifact compiled at build time (their {@code
 * .meta} modules have no code for the interpreter, so their {@code INTERPRETER} cases fail at setup
 * and are left out of the commands below). After measuring, each trial runs one request on each of
 * the three and fails unless the pools' output is byte for byte plain Chicory's.
 *
 * <p>After, not before: a compiled module's loads and stores are a few call sites shared by every
 * instance of the module, and their receiver profile decides what the JIT inlines. One request on
 * Chicory's memory before measuring the pool (or on the pool's before measuring plain Chicory)
 * makes those sites bimorphic for the whole trial, which a service that runs a module one way does
 * not see, and costs either way: in {@link RealModuleExecutionBenchmark}, c-sha256's work on
 * ByteArrayMemory took 136 us with a clean profile and 158 to 381 us with both kinds seen first,
 * and pooled memory slowed 2.6x the same way (docs/BENCHMARKS.md).
 *
 * <p>Run (every module, both engines):
 *
 * <pre>
 * java -jar slotpool-bench/target/benchmarks.jar RealModuleRequestBenchmark -p engine=COMPILER
 * java -jar slotpool-bench/target/benchmarks.jar RealModuleRequestBenchmark -p engine=INTERPRETER \
 *   -p module=c-greet,c-sha256,c-json,c-alloc,c-sort,c-grep,rust-greet,wabt-wat2wasm,wabt-wast2json
 * </pre>
 *
 * (quick look: add {@code -f 1 -wi 2 -i 3 -w 1s -r 1s}).
 *
 * <p>{@code plainInstanceOnly} and {@code defaultPoolInstanceOnly} time the instance part of the
 * same request on its own ({@link RealModule#instantiate}: the request's WASI context and imports,
 * an instance built with no start function, dropped or closed), the part a pool can change; the
 * rest of a request is the module's own code, the same work on either memory. Alone: {@code
 * '^dev.slotpool.bench.wasm.RealModuleRequestBenchmark.(plain|defaultPool)InstanceOnly$'}. Two
 * threads: {@link RealModuleThreadsBenchmark}; execution only: {@link
 * RealModuleExecutionBenchmark}.
 *
 * <p>Both runtimes: these classes are generated for Endive at build time into {@code
 * dev.slotpool.bench.endive.wasm} (pattern {@code 'endive.*RealModuleRequestBenchmark'}), without
 * QuickJS and SQLite (see {@code RuntimeSpecifics}). Endive's compiler runs only on Endive 1.0.0,
 * so its {@code COMPILER} cases need the jar built with {@code -Pendive-compiler} ({@code
 * target/benchmarks-endive-compiler.jar}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RealModuleRequestBenchmark {
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
  private WasmInstancePool tunedPool;
  private Instantiator plain;
  private Instantiator pooledDefault;
  private Instantiator pooledTuned;
  private WasmInstancePool preparedPool;
  private PreparedModule<WasiOptions> prepared;

  @Setup(Level.Trial)
  public void setUp() {
    real = RealModules.get(module);
    machine = real.machineFactory(engine);
    defaultPool = Pools.defaults();
    tunedPool = Pools.tuned();
    plain = Instantiator.plain();
    pooledDefault = Instantiator.pooled(defaultPool);
    pooledTuned = Instantiator.pooled(tunedPool);
    preparedPool = Pools.defaults();
    prepared = real.prepare(preparedPool, machine);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      Pools.checkOutputs(real, machine, plain, pooledDefault, pooledTuned);
      Pools.checkSame(
          real.name(), "the prepared module", real.request(plain, machine), real.request(prepared));
    } finally {
      defaultPool.close();
      tunedPool.close();
      preparedPool.close();
    }
  }

  @Benchmark
  public byte[] plain() {
    return real.request(plain, machine);
  }

  @Benchmark
  public byte[] defaultPool() {
    return real.request(pooledDefault, machine);
  }

  @Benchmark
  public byte[] tunedPool() {
    return real.request(pooledTuned, machine);
  }

  /** The README's quick start: a prepared module on the default pool, instances recycled. */
  @Benchmark
  public byte[] prepared() {
    return real.request(prepared);
  }

  /** The instance part of a plain request alone: WASI, the instance, no module code. */
  @Benchmark
  public int plainInstanceOnly() {
    return real.instantiate(plain, machine);
  }

  /** The instance part of a default-pool request alone: WASI, the instance, close. */
  @Benchmark
  public int defaultPoolInstanceOnly() {
    return real.instantiate(pooledDefault, machine);
  }

  /** The instance part of a prepared request alone: WASI options, a recycled instance, close. */
  @Benchmark
  public int preparedInstanceOnly() {
    return real.instantiate(prepared);
  }
}
