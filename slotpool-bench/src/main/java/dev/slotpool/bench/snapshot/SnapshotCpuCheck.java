package dev.slotpool.bench.snapshot;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * {@link SnapshotBenchmark}'s four requests by the CPU time of the thread that runs them, for a
 * shared machine: wall-clock time under load preempts a long request (init + request) more than a
 * short one, which inflates the ratio, while the thread's CPU time does not depend on the load.
 *
 * <p>Runs the four requests in turn {@code requests} times (default 400) and prints, per request,
 * the median CPU time of the second half (the first half warms the JIT up), then each module's
 * ratio. Run:
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp slotpool-bench/target/benchmarks.jar \
 *     dev.slotpool.bench.snapshot.SnapshotCpuCheck 400
 * </pre>
 */
public final class SnapshotCpuCheck {
  private SnapshotCpuCheck() {}

  public static void main(String[] args) {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 400;
    if (requests < 2) {
      throw new IllegalArgumentException("requests: " + requests + " (expected: >= 2)");
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    var bench = new SnapshotBenchmark();
    bench.setUp();
    try {
      String[] names = {
        "quickJsInitThenRequest",
        "quickJsSnapshotThenRequest",
        "sqliteInitThenRequest",
        "sqliteSnapshotThenRequest"
      };
      List<Supplier<String>> arms =
          List.of(
              bench::quickJsInitThenRequest,
              bench::quickJsSnapshotThenRequest,
              bench::sqliteInitThenRequest,
              bench::sqliteSnapshotThenRequest);
      long[][] nanos = new long[arms.size()][requests];
      for (int r = 0; r < requests; r++) {
        for (int a = 0; a < arms.size(); a++) {
          long start = threads.getCurrentThreadCpuTime();
          arms.get(a).get();
          nanos[a][r] = threads.getCurrentThreadCpuTime() - start;
        }
      }
      long[] median = new long[arms.size()];
      for (int a = 0; a < arms.size(); a++) {
        long[] half = Arrays.copyOfRange(nanos[a], requests / 2, requests);
        Arrays.sort(half);
        median[a] = half[half.length / 2];
        System.out.printf(Locale.ROOT, "%-28s %,10d us CPU (median)%n", names[a], median[a] / 1000);
      }
      System.out.printf(
          Locale.ROOT,
          "ratio: QuickJS %.1fx, SQLite %.1fx%n",
          (double) median[0] / median[1],
          (double) median[2] / median[3]);
    } finally {
      bench.tearDown();
    }
  }
}
