package dev.slotpool.bench.wasm;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 * Execution only: the instance is built once per trial and each operation calls the module's work
 * function ({@link RealModule#work}), on a pooled memory ({@code pooledMemory}, from the default
 * pool) or on Chicory's {@code ByteArrayMemory} ({@code byteArrayMemory}). What this isolates is
 * the cost of the memory's loads and stores, not instantiation.
 *
 * <p>After measuring, the trial calls the work function once on each instance and fails unless both
 * return the same value. After, not before: see {@link RealModuleRequestBenchmark}.
 *
 * <p>Run: {@code java -jar slotpool-bench/target/benchmarks.jar RealModuleExecutionBenchmark}
 * (quick look: add {@code -f 1 -wi 2 -i 3 -w 1s -r 1s}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RealModuleExecutionBenchmark {
  @Param({
    "c-sha256",
    "c-json",
    "c-alloc",
    "c-sort",
    "sqlite" // Chicory-built machine
  })
  String module;

  @Param({"INTERPRETER", "COMPILER"})
  Engine engine;

  private RealModule real;
  private WasmInstancePool pool;
  private PooledInstance pooled;
  private Instance onByteArray;

  @Setup(Level.Trial)
  public void setUp() {
    real = RealModules.get(module);
    Consumer<Instance.Builder> customizer = real.workCustomizer(real.machineFactory(engine));
    pool = Pools.defaults();
    pooled = pool.instantiate(real.module(), customizer);
    Instance.Builder builder = Instance.builder(real.module());
    customizer.accept(builder);
    onByteArray = builder.withMemoryFactory(ByteArrayMemory::new).build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      long expected = real.work(onByteArray);
      long actual = real.work(pooled.instance());
      if (expected != actual) {
        throw new IllegalStateException(
            module
                + ": work() returned "
                + actual
                + " on pooled memory, "
                + expected
                + " on ByteArrayMemory");
      }
    } finally {
      pooled.close();
      pool.close();
    }
  }

  @Benchmark
  public long byteArrayMemory() {
    return real.work(onByteArray);
  }

  @Benchmark
  public long pooledMemory() {
    return real.work(pooled.instance());
  }
}
