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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * As {@link RealModuleRequestBenchmark}, on two threads that share one pool (and, for {@code
 * plain}, nothing): requests per second of both threads together, the figure a server with two
 * request threads sees.
 *
 * <p>After measuring, the trial runs one request through each pool and fails unless the output is
 * plain Chicory's (after, not before: see {@link RealModuleRequestBenchmark}).
 *
 * <p>Run: {@code java -jar slotpool-bench/target/benchmarks.jar RealModuleThreadsBenchmark} (quick
 * look: add {@code -f 1 -wi 2 -i 3 -w 1s -r 1s}; other modules: {@code -p module=c-json,quickjs}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(2)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RealModuleThreadsBenchmark {
  @Param({"c-greet", "rust-greet", "c-sha256"})
  String module;

  @Param({"COMPILER"})
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
}
