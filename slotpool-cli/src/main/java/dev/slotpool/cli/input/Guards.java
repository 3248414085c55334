package dev.slotpool.cli.input;

import dev.slotpool.cli.model.SimResult;
import dev.slotpool.cli.report.Reports;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * Checks made before a run, so that a run that cannot finish, does not fit or cannot be written
 * fails at once with one line: the time it would take, the heap it needs, the bytes it would sum
 * ({@link OutputFiles} checks the files it would write); and the warning after a run whose pool
 * failed too many allocations. Stateless.
 */
public final class Guards {
  /** The longest estimated run done without {@code --force}. */
  public static final long LIMIT_SECONDS = 3600;

  /** {@link #LIMIT_SECONDS} for help texts. */
  public static final String LIMIT_TEXT = "1 hour";

  /** Failed allocations over attempted ones above which a run is flagged (and not "best"). */
  public static final double FAILURE_LIMIT = 0.01;

  /** Steps a second the estimate assumes: a little under what one core of a laptop does. */
  static final double STEPS_PER_SECOND = 8e6;

  /** Heap bytes a simulated slot needs: policy, last key, residency, held set, event heap. */
  static final long HEAP_PER_SLOT = 128;

  private Guards() {}

  /** Refuses byte figures whose sums over every slot would overflow. */
  public static void checkBytes(long bytesPerSlot, long traceMaxBytes, long totalSlots) {
    long most = Math.max(bytesPerSlot, traceMaxBytes);
    if (most > 0 && totalSlots > (1L << 62) / most) {
      throw new BadInputException(
          "--bytes-per-slot: "
              + Sizes.format(most)
              + " in each of "
              + totalSlots
              + " slots overflows the byte counts (expected: slots x bytes per slot < 2^62)");
    }
  }

  /**
   * Refuses a run estimated past {@link #LIMIT_SECONDS} unless forced; prints the estimate on
   * {@code err} when it is over ten seconds and {@code quiet} is false.
   *
   * @param steps steps in all, over every run
   */
  public static void checkTime(long steps, boolean force, boolean quiet, PrintWriter err) {
    double seconds = steps / STEPS_PER_SECOND;
    if (seconds > LIMIT_SECONDS && !force) {
      throw new BadInputException(
          "--ops: "
              + Reports.grouped(steps)
              + " steps in all, about "
              + duration(seconds)
              + " estimated (expected: at most "
              + LIMIT_TEXT
              + "; fewer --ops, thresholds or policies, or --force to run anyway)");
    }
    if (seconds > 10 && !quiet) {
      err.println(
          "about "
              + duration(seconds)
              + " estimated ("
              + Reports.grouped(steps)
              + " steps); --ops sets fewer");
      err.flush();
    }
  }

  /** Refuses a run whose simulated pools would not fit in the heap. */
  public static void checkHeap(long totalSlots, int keys, long traceEvents) {
    long needed = totalSlots * HEAP_PER_SLOT + keys * 64L + traceEvents * 4L;
    Runtime runtime = Runtime.getRuntime();
    long available = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
    if (needed > available * 0.8) {
      throw new BadInputException(
          "--slots: "
              + Reports.grouped(totalSlots)
              + " slots need about "
              + Sizes.format(needed)
              + " of heap, "
              + Sizes.format(available)
              + " is available (expected: fewer slots or hosts, or a larger heap such as"
              + " SLOTPOOL_JAVA_OPTS=-Xmx8g)");
    }
  }

  /** Whether a result failed more than {@link #FAILURE_LIMIT} of its allocations. */
  public static boolean failedTooOften(SimResult r) {
    return r.failureRate() > FAILURE_LIMIT;
  }

  /** Prints one warning line when any result failed more than 1% of its allocations. */
  public static void warnFailures(List<SimResult> results, PrintWriter err) {
    SimResult worst = null;
    int flagged = 0;
    for (SimResult r : results) {
      if (failedTooOften(r)) {
        flagged++;
        if (worst == null || r.failureRate() > worst.failureRate()) {
          worst = r;
        }
      }
    }
    if (worst != null) {
      err.println(
          String.format(
              Locale.ROOT,
              "warning: %d of %d runs failed more than 1%% of their allocations (worst: %s%s,"
                  + " %s of %s, %.1f%%): the pool is too small for the load, so their hit rates"
                  + " describe an overloaded pool",
              flagged,
              results.size(),
              worst.policy(),
              worst.maxWarm() < 0 ? "" : " max-warm " + worst.maxWarm(),
              Reports.grouped(worst.failures()),
              Reports.grouped(worst.failures() + worst.allocs()),
              100 * worst.failureRate()));
      err.flush();
    }
  }

  private static String duration(double seconds) {
    if (seconds < 120) {
      return Math.round(seconds) + " s";
    }
    if (seconds < 7200) {
      return Math.round(seconds / 60) + " min";
    }
    if (seconds < 172_800) {
      return Math.round(seconds / 3600) + " hours";
    }
    return Reports.grouped(Math.round(seconds / 86_400)) + " days";
  }
}
