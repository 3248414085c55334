package dev.slotpool.cli.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasi.WasiOptions;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.WasmInstancePool;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code slotpool bench} with no arguments: the product in one command. Requests of modules the
 * project ships, built by real toolchains (a C and a Rust WASI program, QuickJS from quickjs4j),
 * run as a service runs them, on plain Chicory, on {@code WasmInstancePool.builder().build()} and
 * prepared in such a pool ({@code pool.prepare(module, Linker.wasi())}; QuickJS's snapshot with
 * {@code pool.prepare(snapshot, linker)}), from one thread and from two.
 *
 * <p>Not thread-safe: one run at a time (it starts and joins its own worker threads).
 */
public final class ProductBench {
  /*
   * Implementation notes
   *
   * The sides of a program take turns in slices of 100 ms, warm-up included, so that a machine
   * busy with something else for a while slows all alike; a slice's time runs until its last
   * thread finishes the request it was in. One thread, then two after a short warm-up (the code
   * is compiled by then). Plain Chicory, the pool and the prepared module run the C and Rust
   * programs on separate compilations of the module (see ChicoryWasmBench), so no side's JIT
   * profile sees another's memory. The prepared side has a pool of its own (and QuickJS a snapshot
   * taken in it): sharing the default side's, each side would find the other's state on the
   * module's warm slot. QuickJS's machine is compiled into
   * quickjs4j's jar, one class for both sides: plain Chicory runs first, so if anything its
   * profile is the cleaner one.
   *
   * Requests per second are the requests of a case's slices over the slices' time.
   */

  /** Where the shipped modules are on the class path (copied there by the build). */
  static final String MODULES = "/dev/slotpool/cli/modules/";

  private static final String NAMES = "Alan\nBarbara\nEdsger\nFrances\n";

  /**
   * One row of the table: a program, a thread count, each side's requests per second, how many
   * requests plain Chicory finished in the timed slices, and how the prepared module's
   * instantiations got their instances so far (warm-up included).
   */
  public record Row(
      String program,
      String request,
      int threads,
      double plain,
      double pooled,
      double prepared,
      long plainRequests,
      Recycling recycling) {
    /** How many times more requests per second the pool served. */
    public double speedup() {
      return pooled / plain;
    }

    /** How many times more requests per second the prepared module served. */
    public double preparedSpeedup() {
      return prepared / plain;
    }
  }

  /**
   * A program of the comparison: its sides make workers, one per thread; {@code recycling} reads
   * the prepared side's statistics.
   */
  private record Program(
      String name,
      String request,
      Supplier<Runnable> plain,
      Supplier<Runnable> pooled,
      Supplier<Runnable> prepared,
      Supplier<Recycling> recycling) {
    List<Supplier<Runnable>> sides() {
      return List.of(plain, pooled, prepared);
    }
  }

  private final Duration warmup;
  private final Duration time;

  /**
   * @param warmup untimed time of each program before its one-thread case, the two sides taking
   *     turns (a fifth of it before the two-thread case)
   * @param time timed time of each side in each case
   */
  public ProductBench(Duration warmup, Duration time) {
    this.warmup = warmup;
    this.time = time;
  }

  /** A side's turn: the sides run one after the other for this long each. */
  private static final Duration SLICE = Duration.ofMillis(100);

  /** The milliseconds a run takes, for a progress bar: 3 programs, 3 sides, 1 and 2 threads. */
  public long plannedMillis() {
    return 3L * (warmup.toMillis() + secondWarmup().toMillis() + 3 * 2 * time.toMillis());
  }

  private Duration secondWarmup() {
    return warmup.dividedBy(5);
  }

  /**
   * Runs every program, each side one thread and two, and returns the rows in order.
   *
   * @param progress where to count finished milliseconds of {@link #plannedMillis()}
   * @param label told what runs now
   * @throws OutputMismatchException if a request's output differs from what the program prints
   */
  public List<Row> run(AtomicLong progress, Consumer<String> label) {
    List<Row> rows = new ArrayList<>();
    try (WasmInstancePool pool = WasmInstancePool.builder().build();
        WasmInstancePool preparedPool = WasmInstancePool.builder().build();
        QuickJsRequests quickJs = new QuickJsRequests(pool)) {
      List<Program> programs = new ArrayList<>();
      for (String[] wasi : WASI_PROGRAMS) {
        ChicoryWasmBench bench = wasiProgram(wasi[0]);
        PreparedModule<WasiOptions> prepared = bench.prepare(preparedPool);
        programs.add(
            new Program(
                wasi[0],
                wasi[1],
                bench::plainRequests,
                () -> bench.pooledRequests(pool),
                () -> bench.preparedRequests(prepared),
                () -> ChicoryWasmBench.recycling(prepared.recycleStats())));
      }
      PreparedModule<WasiOptions> preparedQuickJs = quickJs.prepare(preparedPool);
      programs.add(
          new Program(
              "quickjs",
              "JavaScript on QuickJS (quickjs4j): engine init + a prelude of 50 templates, then a"
                  + " handler; the pools start from a snapshot of the init (prepared:"
                  + " pool.prepare(snapshot, linker))",
              quickJs::plainRequests,
              () -> quickJs.pooledRequests(pool),
              () -> quickJs.preparedRequests(preparedQuickJs),
              () -> ChicoryWasmBench.recycling(preparedQuickJs.recycleStats())));
      for (Program program : programs) {
        for (int threads = 1; threads <= 2; threads++) {
          rows.add(compare(program, threads, progress, label));
        }
      }
    }
    return rows;
  }

  /** The C and Rust WASI programs: name, what a request does. */
  private static final String[][] WASI_PROGRAMS = {
    {"c-greet", "C (clang + wasi-libc) WASI program: greets 2 arguments and 4 stdin lines"},
    {"rust-greet", "the same program in Rust (rustc, wasm32-wasi)"}
  };

  private static ChicoryWasmBench wasiProgram(String name) {
    WasmRequest request =
        new WasmRequest(
            name + ".wasm",
            resource(MODULES + name + "/" + name + ".wasm"),
            null,
            List.of(),
            true,
            List.of(name, "Ada", "Grace"),
            NAMES.getBytes(StandardCharsets.US_ASCII),
            Map.of(),
            true);
    return ChicoryWasmBench.of(request, MachineFactoryCompiler::compile);
  }

  private static byte[] resource(String path) {
    try (InputStream in = ProductBench.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("resource " + path + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Requests per second of every side of a program from {@code threads} threads, after the
   * program's warm-up (a fifth of it for two threads), the sides taking turns.
   */
  private Row compare(Program program, int threads, AtomicLong progress, Consumer<String> label) {
    label.accept(program.name() + ", " + threads + (threads == 1 ? " thread" : " threads"));
    List<List<Runnable>> sides = new ArrayList<>();
    for (Supplier<Runnable> side : program.sides()) {
      List<Runnable> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        workers.add(side.get());
      }
      sides.add(workers);
    }
    Duration warm = threads == 1 ? warmup : secondWarmup();
    Duration round = SLICE.multipliedBy(sides.size());
    // Alternate short slices of each side, so that a machine busy with something else for a
    // while slows all alike.
    for (Duration left = warm; !left.isNegative() && !left.isZero(); left = left.minus(round)) {
      for (List<Runnable> side : sides) {
        slice(side, SLICE, progress);
      }
    }
    long[][] counts = new long[sides.size()][2];
    while (Arrays.stream(counts).anyMatch(c -> c[1] < time.toNanos())) {
      for (int i = 0; i < sides.size(); i++) {
        add(counts[i], slice(sides.get(i), SLICE, progress));
      }
    }
    double[] rates = Arrays.stream(counts).mapToDouble(c -> c[0] * 1e9 / c[1]).toArray();
    return new Row(
        program.name(),
        program.request(),
        threads,
        rates[0],
        rates[1],
        rates[2],
        counts[0][0],
        program.recycling().get());
  }

  private static void add(long[] total, long[] slice) {
    total[0] += slice[0];
    total[1] += slice[1];
  }

  /**
   * Runs {@code tasks}, one thread each, for {@code length} (each finishes the request it is in):
   * {requests finished, nanoseconds from the start to the last thread's end}.
   */
  private static long[] slice(List<Runnable> tasks, Duration length, AtomicLong progress) {
    AtomicLong requests = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    long end = start + length.toNanos();
    List<Thread> running = new ArrayList<>();
    for (Runnable task : tasks) {
      running.add(
          Thread.ofPlatform()
              .name("slotpool-bench-" + running.size())
              .start(
                  () -> {
                    try {
                      long n = 0;
                      do {
                        task.run();
                        n++;
                      } while (System.nanoTime() < end && failure.get() == null);
                      requests.addAndGet(n);
                    } catch (Throwable e) {
                      failure.compareAndSet(null, e);
                    }
                  }));
    }
    for (Thread thread : running) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    long elapsed = System.nanoTime() - start;
    progress.addAndGet(length.toMillis());
    Throwable e = failure.get();
    if (e instanceof RuntimeException r) {
      throw r;
    } else if (e instanceof Error r) {
      throw r;
    } else if (e != null) {
      throw new IllegalStateException(e);
    }
    return new long[] {requests.get(), elapsed};
  }
}
