package dev.slotpool.sim;

import dev.slotpool.sim.internal.BadInputException;
import dev.slotpool.sim.internal.Guards;
import dev.slotpool.sim.internal.MemoryModel;
import dev.slotpool.sim.internal.Policy;
import dev.slotpool.sim.internal.Progress;
import dev.slotpool.sim.internal.Provenance;
import dev.slotpool.sim.internal.Reports;
import dev.slotpool.sim.internal.SimResult;
import dev.slotpool.sim.internal.Simulator;
import dev.slotpool.sim.internal.Sizes;
import dev.slotpool.sim.internal.Thresholds;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code slotpool tune}: the best max-warm and keep-resident for a workload within a budget. */
@Command(
    name = "tune",
    header = "Find the max-warm and keep-resident with the best hit rate within a memory budget.",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Sweeps max-warm for the affinity allocator on a workload (and, with --reset fixed,"
          + " keep-resident too) and prints the setting with the highest hit rate whose warm"
          + " slots stay within --budget of resident memory (ties: the lowest estimated cost,"
          + " then the smallest threshold), skipping settings that fail more than 1% of"
          + " allocations; then the curve behind it and the answer as a WasmInstancePool /"
          + " MemoryPool builder, as wasmtime -O flags and as Rust. With the adaptive reset (the"
          + " default) the budget is the pool's resident budget, so every setting fits it.",
      ""
    },
    footer = {
      "",
      "Example:",
      "  slotpool tune --budget 8MiB",
      "  slotpool tune --reset fixed --keep-resident 0,64KiB,1MiB --budget 256MiB",
      "  slotpool tune --workload zipf --skew 1.2 --slots 200 --keys 1000 --budget 256MiB"
    })
final class TuneCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin WorkloadOptions workload;

  @Option(
      names = {"-b", "--budget"},
      paramLabel = "SIZE",
      defaultValue = "64MiB",
      converter = WorkloadOptions.SizeConverter.class,
      description =
          "Most memory the warm slots may keep resident at once. Default: ${DEFAULT-VALUE}.")
  long budget;

  @Option(
      names = {"-m", "--max-warm"},
      paramLabel = "LIST",
      defaultValue = "auto",
      description = "Thresholds to try (as in simulate). Default: ${DEFAULT-VALUE}.")
  String maxWarm;

  @Option(
      names = "--reset",
      paramLabel = "POLICY",
      defaultValue = "adaptive",
      description =
          "adaptive (the pool's default: --budget is its resident budget) or fixed (sweep"
              + " --keep-resident). Default: ${DEFAULT-VALUE}.")
  String reset;

  @Option(
      names = "--keep-resident",
      paramLabel = "SIZES",
      split = ",",
      defaultValue = "64KiB,256KiB,1MiB",
      converter = WorkloadOptions.SizeConverter.class,
      description =
          "fixed: keep-resident values to try; values above --bytes-per-slot count as it. Add 0"
              + " to consider decommitting everything on free: warm slots then keep nothing"
              + " resident, so any max-warm fits the budget. Default: ${DEFAULT-VALUE}.")
  List<Long> keepResident;

  @Option(
      names = {"-f", "--format"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description =
          "Output: table (curve, answer and Wasmtime config), csv or json (the curve)."
              + " Default: ${DEFAULT-VALUE}.")
  SimulateCommand.OutputFormat format;

  @Override
  public Integer call() {
    Simulator.Config config = workload.config();
    List<Integer> thresholds = Thresholds.parse("--max-warm", maxWarm, config.slots());
    boolean adaptive = SimulateCommand.memoryModel(reset, budget, 0).adaptive();
    List<MemoryModel> memories = new ArrayList<>();
    if (adaptive) {
      memories.add(MemoryModel.adaptive(budget));
    } else {
      TreeSet<Long> keeps = new TreeSet<>();
      for (long keep : keepResident) {
        keeps.add(Math.min(keep, config.bytesPerSlot()));
      }
      for (long keep : keeps) {
        memories.add(MemoryModel.fixed(keep));
      }
    }
    Guards.checkHeap(
        (long) config.slots() * config.hosts(),
        config.keys(),
        config.trace() == null ? 0 : config.trace().events());
    long total = config.totalSteps() * thresholds.size() * memories.size();
    PrintWriter err = spec.commandLine().getErr();
    Guards.checkTime(total, workload.force, workload.quiet, err);
    Simulator simulator = new Simulator(config);
    List<SimResult> curve = new ArrayList<>();
    try (Progress progress = Progress.start(err, total, !workload.quiet && Progress.terminal())) {
      for (int threshold : thresholds) {
        for (MemoryModel memory : memories) {
          progress.label("max-warm " + threshold + ", " + describe(memory));
          curve.add(simulator.run(Policy.Kind.AFFINITY, threshold, memory, progress.done()));
        }
      }
    }
    SimResult best = best(curve, budget);
    Provenance provenance = Slotpool.provenance(spec, config.seed());
    PrintWriter out = spec.commandLine().getOut();
    switch (format) {
      case csv -> {
        Reports.csv(curve, best, provenance, out);
        Guards.warnFailures(curve, err);
        requireFit(curve, best);
      }
      case json -> {
        Reports.json(curve, best, provenance, out);
        Guards.warnFailures(curve, err);
        requireFit(curve, best);
      }
      case table -> {
        out.println(
            SimulateCommand.summary(config, memories.get(0))
                .replaceAll(", (adaptive|fixed) reset.*", ""));
        out.println(SimulateCommand.measured(config, curve.get(0)));
        out.println("budget for warm slots: " + Sizes.format(budget) + " resident at peak");
        out.println();
        printCurve(curve, best, out);
        out.println();
        out.flush();
        Guards.warnFailures(curve, err);
        requireFit(curve, best);
        out.printf(
            Locale.ROOT,
            "Best within %s: max-warm %d, %s: hit rate %.2f%%,"
                + " peak resident %s, about %.1f us per allocation.%n%n",
            Sizes.format(budget),
            best.maxWarm(),
            describe(best.memory()),
            100 * best.hitRate(),
            Sizes.format(best.peakResidentBytes()),
            best.meanCostMicros());
        out.println(Snippets.all(config, best));
        out.flush();
      }
    }
    return 0;
  }

  private static String describe(MemoryModel memory) {
    return memory.adaptive()
        ? "resident budget " + Sizes.format(memory.bytes())
        : "keep-resident " + Sizes.format(memory.bytes());
  }

  /** Exits with status 2, in every format, when no setting tried fits the budget. */
  private void requireFit(List<SimResult> curve, SimResult best) {
    if (best == null && curve.stream().allMatch(Guards::failedTooOften)) {
      throw new BadInputException(
          "--slots: every setting tried failed more than 1% of its allocations (expected: more"
              + " --slots, or a lower --concurrency)");
    }
    if (best == null) {
      SimResult smallest = curve.get(0);
      for (SimResult r : curve) {
        if (r.peakResidentBytes() < smallest.peakResidentBytes()) {
          smallest = r;
        }
      }
      throw new BadInputException(
          "--budget: no setting tried stays within "
              + Sizes.format(budget)
              + "; the smallest peak is "
              + Sizes.format(smallest.peakResidentBytes())
              + " at max-warm "
              + smallest.maxWarm()
              + ", "
              + describe(smallest.memory())
              + " (expected: a larger --budget, or smaller --keep-resident values)");
    }
  }

  /** The highest hit rate within budget; ties to the lowest cost, then the smallest threshold. */
  static SimResult best(List<SimResult> curve, long budget) {
    SimResult best = null;
    for (SimResult r : curve) {
      if (r.peakResidentBytes() > budget || Guards.failedTooOften(r)) {
        continue;
      }
      if (best == null || better(r, best)) {
        best = r;
      }
    }
    return best;
  }

  private static boolean better(SimResult a, SimResult b) {
    // Hit rates a hundredth of a percent apart are the same answer; the cost then decides.
    long hitA = Math.round(a.hitRate() * 10_000);
    long hitB = Math.round(b.hitRate() * 10_000);
    if (hitA != hitB) {
      return hitA > hitB;
    }
    if (Math.abs(a.meanCostMicros() - b.meanCostMicros()) > 1e-9) {
      return a.meanCostMicros() < b.meanCostMicros();
    }
    return a.maxWarm() < b.maxWarm();
  }

  private static void printCurve(List<SimResult> curve, SimResult best, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "", "max-warm", "memory", "hit rate", "failed", "warm peak", "resident peak", "cost/alloc"
        });
    for (SimResult r : curve) {
      rows.add(
          new String[] {
            r == best ? "=>" : "",
            Integer.toString(r.maxWarm()),
            describe(r.memory()),
            String.format(Locale.ROOT, "%.2f%%", 100 * r.hitRate()),
            String.format(Locale.ROOT, "%.2f%%", 100 * r.failureRate()),
            Reports.grouped(r.peakUnusedWarm()),
            Sizes.format(r.peakResidentBytes()),
            String.format(Locale.ROOT, "%.1f us", r.meanCostMicros())
          });
    }
    Reports.aligned(rows, out, 1);
  }
}
