package dev.slotpool.cli;

import dev.slotpool.cli.bench.IndexBench;
import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.model.Policy;
import dev.slotpool.cli.model.Simulator;
import dev.slotpool.cli.report.Reports;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code slotpool bench index}: nanoseconds per step of each index allocator on a workload. */
@Command(
    name = "index",
    header = "Nanoseconds per alloc or free of each index allocator on a workload.",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Runs the step model's allocs and frees against each allocator, with the random choices"
          + " made ahead of time, and prints the median nanoseconds per step of a few runs."
          + " Figures from a shared or busy machine are noisy.",
      ""
    },
    footer = {"", "Example:", "  slotpool bench index --ops 5m --threads 2 --format csv"})
final class BenchIndexCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin WorkloadOptions workload;

  @Option(
      names = {"-p", "--policy"},
      paramLabel = "NAME",
      split = ",",
      defaultValue = "affinity,sharded,simple",
      description = "Allocators to measure: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  List<Policy.Kind> policies;

  @Option(
      names = {"-m", "--max-warm"},
      paramLabel = "N",
      defaultValue = "10",
      description = "The threshold of allocators that have one. Default: ${DEFAULT-VALUE}.")
  int maxWarm;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      defaultValue = "5",
      description =
          "Timed runs per allocator (2 untimed runs come first). Default: ${DEFAULT-VALUE}.")
  int iterations;

  @Option(
      names = {"-f", "--format"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "Output: table or csv (case,ns_per_op). Default: ${DEFAULT-VALUE}.")
  Format format;

  /** How results are printed. */
  enum Format {
    table,
    csv
  }

  @Override
  public Integer call() {
    workload.refuseUnless(
        workload.model == WorkloadOptions.Model.seed,
        "--model",
        "--model seed, the model whose steps bench index times, or no --model");
    for (String option : WorkloadOptions.STEADY_OPTIONS) {
      // Not "--model steady", the usual hint, which bench index would refuse in turn.
      workload.refuseUnless(false, option, "simulate or tune: bench index times the seed model");
    }
    workload.model = WorkloadOptions.Model.seed; // the tape is the seed model's: free or allocate
    Simulator.Config config = workload.config();
    if (config.trace() != null) {
      throw new BadInputException(
          "--workload: bench index needs a generated workload (expected: uniform, zipf,"
              + " hotspot or phased)");
    }
    if (maxWarm < 0) {
      throw new BadInputException("--max-warm: " + maxWarm + " (expected: >= 0)");
    }
    if (iterations < 1) {
      throw new BadInputException("--iterations: " + iterations + " (expected: >= 1)");
    }
    List<Policy.Kind> kinds = new ArrayList<>(new java.util.LinkedHashSet<>(policies));
    IndexBench bench = new IndexBench(config, maxWarm);
    List<String[]> rows = new ArrayList<>();
    for (Policy.Kind kind : kinds) {
      double nanos = bench.nanosPerOp(kind, 2, iterations);
      String name =
          "index/" + kind.label() + (config.threads() > 1 ? "/threads=" + config.threads() : "");
      rows.add(new String[] {name, Reports.fixed(nanos, 1), Reports.fixed(1000 / nanos, 2)});
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format == Format.csv) {
      out.println("case,ns_per_op");
      for (String[] row : rows) {
        out.println(row[0] + "," + row[1]);
      }
    } else {
      out.println(
          String.format(
              Locale.ROOT,
              "%s: %d slots, %d keys, %s steps per run, max-warm %d, median of %d runs",
              config.describe(),
              config.slots(),
              config.keys(),
              Reports.grouped(config.ops()),
              maxWarm,
              iterations));
      out.println();
      List<String[]> table = new ArrayList<>();
      table.add(new String[] {"case", "ns/op", "Mops/s"});
      table.addAll(rows);
      Reports.aligned(table, out, 1);
    }
    out.flush();
    return 0;
  }
}
