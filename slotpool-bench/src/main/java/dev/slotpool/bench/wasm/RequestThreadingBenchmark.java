package dev.slotpool.bench.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
 * One real-module request per operation on the default pool, as services run it: closed on the
 * request's own thread ({@code defaultPool}), or handed off and closed by another thread, as
 * asynchronous code does ({@code defaultPoolHandOff}: a closer thread drains a queue of instances
 * whose work is done), against plain Chicory, synchronous and with the same hand-off of its
 * finished instance to the closer thread ({@code plainHandOff}, which shows what the queue and the
 * closer's wake-up cost by themselves); with {@code idleThreads} parked platform threads alive in
 * the JVM, since a JVM-wide handshake per release would cost more the more threads there are.
 *
 * <p>Run: {@code java -jar slotpool-bench/target/benchmarks.jar RequestThreadingBenchmark} (quick
 * look: add {@code -f 1 -wi 2 -i 3 -w 1s -r 1s}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RequestThreadingBenchmark {
  @Param({"c-greet", "rust-greet"})
  String module;

  @Param({"COMPILER"})
  Engine engine;

  @Param({"2", "200"})
  int idleThreads;

  private RealModule real;
  private Function<Instance, Machine> machine;
  private WasmInstancePool pool;
  private Instantiator plain;
  private Instantiator sync;
  private Instantiator handOff;
  private final LinkedBlockingQueue<AutoCloseable> toClose = new LinkedBlockingQueue<>();
  private Instantiator plainHandOff;
  private final List<Thread> idle = new ArrayList<>();
  private Thread closer;
  private volatile boolean running;

  @Setup(Level.Trial)
  public void setUp() {
    real = RealModules.get(module);
    machine = real.machineFactory(engine);
    pool = Pools.defaults();
    plain = Instantiator.plain();
    sync = Instantiator.pooled(pool);
    handOff = new HandOff();
    plainHandOff = new PlainHandOff();
    running = true;
    for (int i = 0; i < idleThreads; i++) {
      Thread t =
          Thread.ofPlatform().daemon().start(RequestThreadingBenchmark::parkUntilInterrupted);
      idle.add(t);
    }
    closer = Thread.ofPlatform().daemon().name("closer").start(this::closeLoop);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    try {
      byte[] expected = real.request(plain, machine);
      Pools.checkSame(real.name(), "the default pool", expected, real.request(sync, machine));
      Pools.checkSame(real.name(), "a hand-off", expected, real.request(handOff, machine));
    } finally {
      running = false;
      closer.interrupt();
      closer.join();
      idle.forEach(Thread::interrupt);
      pool.close();
    }
  }

  @Benchmark
  public byte[] plain() {
    return real.request(plain, machine);
  }

  @Benchmark
  public byte[] defaultPool() {
    return real.request(sync, machine);
  }

  @Benchmark
  public byte[] plainHandOff() {
    return real.request(plainHandOff, machine);
  }

  @Benchmark
  public byte[] defaultPoolHandOff() {
    return real.request(handOff, machine);
  }

  /** Instantiates and runs on the caller's thread; the closer thread closes. */
  private final class HandOff implements Instantiator {
    @Override
    public <T> T run(
        WasmModule wasm, Consumer<Instance.Builder> customizer, Function<Instance, T> body) {
      PooledInstance pooled = pool.instantiate(wasm, customizer);
      try {
        return body.apply(pooled.instance());
      } finally {
        toClose.add(pooled);
      }
    }
  }

  /** Plain Chicory, its finished instance handed to the closer thread, which only drops it. */
  private final class PlainHandOff implements Instantiator {
    @Override
    public <T> T run(
        WasmModule wasm, Consumer<Instance.Builder> customizer, Function<Instance, T> body) {
      Instance.Builder builder = Instance.builder(wasm);
      customizer.accept(builder);
      Instance instance = builder.build();
      try {
        return body.apply(instance);
      } finally {
        toClose.add(() -> Objects.requireNonNull(instance));
      }
    }
  }

  private void closeLoop() {
    while (running || !toClose.isEmpty()) {
      try {
        close(toClose.take());
      } catch (InterruptedException e) {
        AutoCloseable rest;
        while ((rest = toClose.poll()) != null) {
          close(rest);
        }
        if (!running) {
          return;
        }
      }
    }
  }

  private static void close(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void parkUntilInterrupted() {
    while (!Thread.currentThread().isInterrupted()) {
      LockSupport.park();
    }
  }
}
