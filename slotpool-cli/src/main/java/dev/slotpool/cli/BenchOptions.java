package dev.slotpool.cli;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.report.Reports;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Timing and output options of the timed-loop benchmarks (bench memory, bench wasm). */
final class BenchOptions {
  /** The warm-up of {@code bench memory}, whose cases reach steady state within a second. */
  static final double MEMORY_WARMUP = 1;

  /**
   * The warm-up of {@code bench wasm}: plain Chicory with its compiler takes several seconds to
   * reach steady state (c-greet: 339 us a request after one second, 70 after ten), and a shorter
   * warm-up would credit the pool with the JIT's work (3.5x instead of 1.3x).
   */
  static final double WASM_WARMUP = 10;

  @Option(
      names = "--warmup",
      paramLabel = "SECONDS",
      description =
          "Untimed seconds before each case. Default: 1 for bench memory, 10 for bench wasm (a"
              + " runtime's compiled code takes seconds to reach steady state).")
  Double warmup;

  @Option(
      names = "--time",
      paramLabel = "SECONDS",
      defaultValue = "2",
      description = "Timed seconds per case. Default: ${DEFAULT-VALUE}.")
  double time;

  @Option(
      names = {"-f", "--format"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "Output: table or csv (case,ns_per_op). Default: ${DEFAULT-VALUE}.")
  BenchIndexCommand.Format format;

  /** The warm-up and timed durations, {@code defaultWarmup} seconds of warm-up unless given. */
  Duration[] durations(double defaultWarmup) {
    double warmup = this.warmup == null ? defaultWarmup : this.warmup;
    if (!(warmup >= 0 && warmup <= 600)) {
      throw new BadInputException("--warmup: " + warmup + " (expected: 0 <= SECONDS <= 600)");
    }
    if (!(time > 0 && time <= 600)) {
      throw new BadInputException("--time: " + time + " (expected: 0 < SECONDS <= 600)");
    }
    return new Duration[] {
      Duration.ofNanos((long) (warmup * 1e9)), Duration.ofNanos((long) (time * 1e9))
    };
  }

  /** Whether the output is CSV. */
  boolean csv() {
    return format == BenchIndexCommand.Format.csv;
  }

  /**
   * Prints rows of (case, ns per op, iterations) as a table with a heading, or as CSV. A case not
   * timed has empty ns and iterations: {@code n/a} in the table, an empty value in CSV.
   */
  void print(PrintWriter out, String heading, List<String[]> rows) {
    print(out, heading, rows, null);
  }

  /**
   * Prints rows of (case, ns per op, iterations) as a table with a heading, or as CSV; the table
   * also shows each case's speed relative to the case named {@code baseline}, if not null.
   */
  void print(PrintWriter out, String heading, List<String[]> rows, String baseline) {
    double base = Double.NaN;
    for (String[] row : rows) {
      if (row[0].equals(baseline)) {
        base = Double.parseDouble(row[1]);
      }
    }
    if (csv()) {
      out.println("case,ns_per_op");
      for (String[] row : rows) {
        out.println(row[0] + "," + row[1]);
      }
    } else {
      out.println(heading);
      out.println();
      List<String[]> table = new ArrayList<>();
      boolean ratio = !Double.isNaN(base);
      table.add(
          ratio
              ? new String[] {"case", "us/op", "runs", "speed vs " + baseline}
              : new String[] {"case", "us/op", "runs"});
      for (String[] row : rows) {
        if (row[1].isEmpty()) {
          table.add(
              ratio ? new String[] {row[0], "n/a", "", ""} : new String[] {row[0], "n/a", ""});
          continue;
        }
        double nanos = Double.parseDouble(row[1]);
        String us = Reports.fixed(nanos / 1000, 2);
        String runs = Reports.grouped(Long.parseLong(row[2]));
        table.add(
            ratio
                ? new String[] {row[0], us, runs, Reports.fixed(base / nanos, 2) + "x"}
                : new String[] {row[0], us, runs});
      }
      Reports.aligned(table, out, 1);
    }
    out.flush();
  }
}
