package dev.slotpool.cli;

import dev.slotpool.cli.bench.OutputMismatchException;
import dev.slotpool.cli.bench.ProductBench;
import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.report.Progress;
import dev.slotpool.cli.report.Reports;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code slotpool bench}: with no subcommand, the product in one command (requests of shipped
 * real-toolchain modules on plain Chicory and on the default pool); the subcommands time the parts
 * (index, memory) or the user's own module (wasm).
 */
@Command(
    name = "bench",
    header = "What the pool does for real modules on this machine, in under a minute.",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "With no subcommand: runs requests of three programs built by real toolchains and shipped"
          + " with slotpool (a C and a Rust WASI program, and JavaScript on QuickJS) as a service"
          + " runs them (instantiate, run, close), on plain Chicory, on"
          + " WasmInstancePool.builder().build() and prepared in such a pool (pool.prepare(module,"
          + " Linker.wasi()), QuickJS's snapshot prepared likewise; their instances are recycled),"
          + " from one"
          + " thread and from two, and prints requests per second side by side. Every side runs"
          + " Chicory's compiler and checks every request's output. The subcommands time your own"
          + " module (wasm) or one part of the pool (index, memory); slotpool-bench's JMH runs are"
          + " the careful figures.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  slotpool bench",
      "  slotpool bench wasm app.wasm --invoke run 42",
      "  slotpool bench index"
    },
    subcommands = {BenchIndexCommand.class, BenchMemoryCommand.class, BenchWasmCommand.class})
final class BenchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--warmup",
      paramLabel = "SECONDS",
      defaultValue = "6",
      description =
          "Untimed seconds of each program before its first case, the sides in turn (compiled code"
              + " takes seconds to reach steady state). Default: ${DEFAULT-VALUE}.")
  double warmup;

  @Option(
      names = "--time",
      paramLabel = "SECONDS",
      defaultValue = "1",
      description = "Timed seconds per case. Default: ${DEFAULT-VALUE}.")
  double time;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress bar (it is drawn only on a terminal).")
  boolean quiet;

  @Override
  public Integer call() {
    if (!(warmup >= 0 && warmup <= 600)) {
      throw new BadInputException("--warmup: " + warmup + " (expected: 0 <= SECONDS <= 600)");
    }
    if (!(time > 0 && time <= 600)) {
      throw new BadInputException("--time: " + time + " (expected: 0 < SECONDS <= 600)");
    }
    ProductBench bench =
        new ProductBench(
            Duration.ofNanos((long) (warmup * 1e9)), Duration.ofNanos((long) (time * 1e9)));
    PrintWriter err = spec.commandLine().getErr();
    List<ProductBench.Row> rows;
    try (Progress progress =
        Progress.start(err, bench.plannedMillis(), !quiet && Progress.terminal())) {
      rows = bench.run(progress.done(), progress::label);
    } catch (OutputMismatchException e) {
      err.println(spec.qualifiedName() + ": " + e.getMessage());
      err.flush();
      return 1;
    }
    print(rows, spec.commandLine().getOut());
    return 0;
  }

  /** The table and what it means. */
  static void print(List<ProductBench.Row> rows, PrintWriter out) {
    out.println(
        "Requests served per second, each one instantiate + run + close, as a service runs them,");
    out.println(
        "on plain Chicory, on WasmInstancePool.builder().build() (the default pool: an instance");
    out.println(
        "per request) and prepared in such a pool (pool.prepare(module, Linker.wasi()): each");
    out.println(
        "request's WasiOptions, _start called, the instance closed and recycled with its slot).");
    out.println("All sides run Chicory's compiler; ratios are against plain Chicory.");
    out.println();
    List<String[]> table = new ArrayList<>();
    table.add(
        new String[] {
          "program", "threads", "plain Chicory", "default pool", "vs plain", "prepared", "vs plain"
        });
    for (ProductBench.Row r : rows) {
      table.add(
          new String[] {
            r.threads() == 1 ? r.program() : "",
            Integer.toString(r.threads()),
            perSecond(r.plain(), r.threads()),
            perSecond(r.pooled(), r.threads()),
            ratio(r.speedup()),
            perSecond(r.prepared(), r.threads()),
            ratio(r.preparedSpeedup())
          });
    }
    Reports.aligned(table, out, 2);
    out.println();
    for (ProductBench.Row r : lastOfEachProgram(rows)) {
      out.println(r.program() + ": " + r.request());
    }
    for (ProductBench.Row r : lastOfEachProgram(rows)) {
      out.println(r.program() + " prepared: " + r.recycling().summary() + ", warm-up included");
    }
    for (ProductBench.Row r : rows) {
      if (r.threads() == 1 && r.plainRequests() < FEW) {
        out.println(
            r.program()
                + ": plain Chicory finished only "
                + r.plainRequests()
                + " requests in the timed part: too few for steady state, so take its ratios as"
                + " rough (docs/BENCHMARKS.md has JMH figures).");
      }
    }
    out.println();
    out.println(
        "A pooled request reuses its module's warm slot: the memory image is already in place and");
    out.println(
        "the slot is reset by restoring only the pages the last request wrote; a prepared request");
    out.println(
        "also reuses the instance, its globals, tables and WASI state reset. Quick timings on a");
    out.println("machine that may be busy: compare the sides of one run.");
    out.println("Your own module: slotpool bench wasm FILE.wasm");
    out.flush();
  }

  /** Each program's last row: its description, and its prepared module's statistics at the end. */
  private static List<ProductBench.Row> lastOfEachProgram(List<ProductBench.Row> rows) {
    Map<String, ProductBench.Row> last = new LinkedHashMap<>();
    rows.forEach(r -> last.put(r.program(), r));
    return List.copyOf(last.values());
  }

  /** Fewer timed plain requests than this: the plain side cannot have reached steady state. */
  private static final long FEW = 500;

  /** A side's speed against plain Chicory's, such as {@code 2.50x faster}. */
  private static String ratio(double speedup) {
    return String.format(
        Locale.ROOT,
        "%.2fx %s",
        speedup >= 1 ? speedup : 1 / speedup,
        speedup >= 1 ? "faster" : "slower");
  }

  /** Requests per second, and the time of one request on its thread. */
  private static String perSecond(double requests, int threads) {
    double us = threads * 1e6 / requests;
    return Reports.grouped(Math.round(requests))
        + "/s ("
        + (us >= 100 ? Reports.grouped(Math.round(us)) : Reports.fixed(us, 1))
        + " us)";
  }
}
