package dev.slotpool.bench.chicory;

import static dev.slotpool.testkit.wasm.WasmBuilder.I32;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.testkit.wasm.WasmBuilder;
import dev.slotpool.testkit.wasm.WasmBuilder.Code;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 * How long a watchdog's {@code close()} takes to end a runaway call on the default pool: from the
 * close to the moment the request thread's call has left the instance (and the slot is back), for a
 * loop that touches no memory ({@code burn}) and one that writes memory on every iteration ({@code
 * spin}), interpreted and compiled. Each operation starts a fresh runaway request on its own thread
 * in the setup and measures only the close and the wait for the call to end.
 *
 * <p>Run: {@code java -jar slotpool-bench/target/benchmarks.jar CancellationBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CancellationBenchmark {
  @Param({"burn", "spin"})
  String loop;

  @Param({"interpreter", "compiler"})
  String engine;

  private WasmModule module;
  private Consumer<Instance.Builder> customizer;
  private WasmInstancePool pool;
  private PooledInstance running;
  private CountDownLatch ended;

  @Setup(Level.Trial)
  public void setUp() {
    var b = new WasmBuilder();
    b.memory(1, -1);
    b.function("burn", new byte[0], new byte[0], new Code().loop().br(0).endBlock());
    b.function(
        "spin",
        new byte[] {I32},
        new byte[0],
        new Code()
            .loop()
            .localGet(0)
            .localGet(0)
            .memOp(0x28, 0)
            .i32Const(1)
            .i32Add()
            .memOp(0x36, 0)
            .br(0)
            .endBlock());
    module = Parser.parse(b.build());
    if (engine.equals("compiler")) {
      Function<Instance, Machine> compiled = MachineFactoryCompiler.compile(module);
      customizer = builder -> builder.withMachineFactory(compiled);
    } else {
      customizer = builder -> {};
    }
    pool = WasmInstancePool.builder().build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.close();
  }

  /** Starts a runaway request on a thread of its own and returns once its call runs. */
  @Setup(Level.Invocation)
  public void startRunaway() {
    PooledInstance pooled = pool.instantiate(module, customizer);
    var done = new CountDownLatch(1);
    Thread.ofPlatform()
        .start(
            () -> {
              try (pooled) {
                if (loop.equals("burn")) {
                  pooled.instance().export("burn").apply();
                } else {
                  pooled.instance().export("spin").apply(64);
                }
              } catch (RuntimeException expected) {
                // cancelled: ChicoryInterruptedException or IllegalStateException
              } finally {
                done.countDown();
              }
            });
    while (!pooled.isRunning()) {
      Thread.onSpinWait();
    }
    running = pooled;
    ended = done;
  }

  @Benchmark
  public void closeRunaway() throws InterruptedException {
    running.close();
    ended.await();
  }
}
