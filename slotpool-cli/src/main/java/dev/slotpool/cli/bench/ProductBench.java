package dev.slotpool.cli.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import dev.slotpool.chicory.WasmInstancePool;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code slotpool bench} with no arguments: the product in one command. Requests of modules the
 * project ships, built by real toolchains (a C and a Rust WASI program, QuickJS from quickjs4j),
 * run as a service runs them, on plain Chicory and on {@code WasmInstancePool.builder().build()},
 * from one thread and from two.
 *
 * <p>Not thread-safe: one run at a time (it starts and joins its own worker threads).
 */
public final class ProductBench {
  /*
   * Implementation notes
   *
   * The two sides of a program take turns in slices of 100 ms, warm-up included, so that a machine
   * busy with something else for a while slows both alike; a slice's time runs until its last
   * thread finishes the request it was in. One thread, then two after a short warm-up (the code
   * is compiled by then). Plain Chicory and the pool
   * run the C and Rust programs on separate compilations of the module (see ChicoryWasmBench),
   * so neither side's JIT profile sees the other's memory. QuickJS's machine is compiled into
   * quickjs4j's jar, one class for both sides: plain Chicory runs first, so if anything its
   * profile is the cleaner one.
   *
   * Requests per second are the requests of a case's slices over the slices' time.
   */

  /** Where the shipped modules are on the class path (copied there by the build). */
  static final String MODULES = "/dev/slotpool/cli/modules/";

  private static final String NAMES = "Alan\nBarbara\nEdsger\nFrances\n";

  /**
   * One row of the table: a program, a thread count, each side's requests per second, and how many
   * requests plain Chicory finished in the timed slices.
   */
  public record Row(
      String program,
      String request,
      int threads,
      double plain,
      double pooled,
      long plainRequests) {
    /** How many times more requests per second the pool served. */
    public double speedup() {
      return pooled / plain;
    }
  }

  /** A program of the comparison: its two sides make workers, one per thread. */
  private record Program(
      String name, String request, Supplier<Runnable> plain, Supplier<Runnable> pooled) {}

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

  /** A round of the comparison: each side runs for half of it, one after the other. */
  private static final Duration SLICE = Duration.ofMillis(200);

  /** The milliseconds a run takes, for a progress bar: 3 programs, 1 and 2 threads each. */
  public long plannedMillis() {
    return 3L * (warmup.toMillis() + secondWarmup().toMillis() + 4 * time.toMillis());
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
        QuickJsRequests quickJs = new QuickJsRequests(pool)) {
      List<Program> programs = new ArrayList<>();
      for (String[] wasi : WASI_PROGRAMS) {
        ChicoryWasmBench bench = wasiProgram(wasi[0]);
        programs.add(
            new Program(wasi[0], wasi[1], bench::plainRequests, () -> bench.pooledRequests(pool)));
      }
      programs.add(
          new Program(
              "quickjs",
              "JavaScript on QuickJS (quickjs4j): engine init + a prelude of 50 templates, then a"
                  + " handler; with slotpool the init is a snapshot",
              quickJs::plainRequests,
              () -> quickJs.pooledRequests(pool)));
      for (Program program : programs) {
        double[] rates = compare(program, progress, label);
        rows.add(
            new Row(program.name(), program.request(), 1, rates[0], rates[1], (long) rates[4]));
        rows.add(
            new Row(program.name(), program.request(), 2, rates[2], rates[3], (long) rates[5]));
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
   * Requests per second of both sides of a program, from one thread and then from two, and the
   * plain requests timed: {plain 1, pooled 1, plain 2, pooled 2, plain requests 1, plain requests
   * 2}.
   */
  private double[] compare(Program program, AtomicLong progress, Consumer<String> label) {
    double[] rates = new double[6];
    for (int threads = 1; threads <= 2; threads++) {
      label.accept(program.name() + ", " + threads + (threads == 1 ? " thread" : " threads"));
      List<Runnable> plain = new ArrayList<>();
      List<Runnable> pooled = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        plain.add(program.plain().get());
        pooled.add(program.pooled().get());
      }
      Duration warm = threads == 1 ? warmup : secondWarmup();
      long[] plainCount = new long[2];
      long[] pooledCount = new long[2];
      // Alternate short slices of each side, so that a machine busy with something else for a
      // while slows both alike.
      for (Duration left = warm; !left.isNegative() && !left.isZero(); left = left.minus(SLICE)) {
        slice(plain, SLICE.dividedBy(2), progress);
        slice(pooled, SLICE.dividedBy(2), progress);
      }
      while (plainCount[1] < time.toNanos() || pooledCount[1] < time.toNanos()) {
        add(plainCount, slice(plain, SLICE.dividedBy(2), progress));
        add(pooledCount, slice(pooled, SLICE.dividedBy(2), progress));
      }
      rates[2 * (threads - 1)] = plainCount[0] * 1e9 / plainCount[1];
      rates[2 * (threads - 1) + 1] = pooledCount[0] * 1e9 / pooledCount[1];
      rates[3 + threads] = plainCount[0];
    }
    return rates;
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
