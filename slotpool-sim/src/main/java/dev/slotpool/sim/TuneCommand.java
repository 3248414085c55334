package dev.slotpool.sim;

import dev.slotpool.sim.internal.BadInputException;
import dev.slotpool.sim.internal.Policy;
import dev.slotpool.sim.internal.Progress;
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
      "Sweeps max-warm and keep-resident for the affinity allocator on a workload, and prints"
          + " the setting with the highest hit rate whose warm slots stay within --budget of"
          + " resident memory at their peak (ties: the lowest estimated cost, then the smallest"
          + " threshold), the curve behind it, and the Wasmtime PoolingAllocationConfig that"
          + " matches.",
      ""
    },
    footer = {
      "",
      "Example:",
      "  slotpool tune --free-prob 0.55 --budget 8MiB",
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
      names = "--keep-resident",
      paramLabel = "SIZES",
      split = ",",
      defaultValue = "64KiB,256KiB,1MiB",
      converter = WorkloadOptions.SizeConverter.class,
      description =
          "Keep-resident values to try; values above --bytes-per-slot count as it. Add 0 to"
              + " consider decommitting everything on free: warm slots then keep nothing"
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
    TreeSet<Long> keeps = new TreeSet<>();
    for (long keep : keepResident) {
      keeps.add(Math.min(keep, config.bytesPerSlot()));
    }
    Simulator simulator = new Simulator(config);
    List<SimResult> curve = new ArrayList<>();
    long total = config.steps() * thresholds.size() * keeps.size();
    try (Progress progress =
        Progress.start(
            spec.commandLine().getErr(), total, !workload.quiet && Progress.terminal())) {
      for (int threshold : thresholds) {
        for (long keep : keeps) {
          progress.label("max-warm " + threshold + ", keep-resident " + Sizes.format(keep));
          curve.add(simulator.run(Policy.Kind.AFFINITY, threshold, keep, progress.done()));
        }
      }
    }
    SimResult best = best(curve, budget);
    PrintWriter out = spec.commandLine().getOut();
    switch (format) {
      case csv -> {
        Reports.csv(curve, out);
        out.flush();
        requireFit(curve, best);
      }
      case json -> {
        Reports.json(curve, out);
        out.flush();
        requireFit(curve, best);
      }
      case table -> {
        out.println(SimulateCommand.summary(config, keeps.first()).replaceAll(", keep-res.*", ""));
        out.println("budget for warm slots: " + Sizes.format(budget) + " resident at peak");
        out.println();
        printCurve(curve, best, out);
        out.println();
        out.flush();
        requireFit(curve, best);
        out.printf(
            Locale.ROOT,
            "Best within %s: max-warm %d, keep-resident %s: hit rate %.2f%%,"
                + " peak resident %s, about %.1f us per allocation.%n%n",
            Sizes.format(budget),
            best.maxWarm(),
            Sizes.format(best.keepResident()),
            100 * best.hitRate(),
            Sizes.format(best.peakResidentBytes()),
            best.meanCostMicros());
        out.println(wasmtime(config, best));
        out.flush();
      }
    }
    return 0;
  }

  /** Exits with status 2, in every format, when no setting tried fits the budget. */
  private void requireFit(List<SimResult> curve, SimResult best) {
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
              + ", keep-resident "
              + Sizes.format(smallest.keepResident())
              + " (expected: a larger --budget, or smaller --keep-resident values)");
    }
  }

  /** The highest hit rate within budget; ties to the lowest cost, then the smallest threshold. */
  static SimResult best(List<SimResult> curve, long budget) {
    SimResult best = null;
    for (SimResult r : curve) {
      if (r.peakResidentBytes() > budget) {
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
          "", "max-warm", "keep-resident", "hit rate", "warm peak", "resident peak", "cost/alloc"
        });
    for (SimResult r : curve) {
      rows.add(
          new String[] {
            r == best ? "=>" : "",
            Integer.toString(r.maxWarm()),
            Sizes.format(r.keepResident()),
            String.format(Locale.ROOT, "%.2f%%", 100 * r.hitRate()),
            Reports.grouped(r.peakUnusedWarm()),
            Sizes.format(r.peakResidentBytes()),
            String.format(Locale.ROOT, "%.1f us", r.meanCostMicros())
          });
    }
    Reports.aligned(rows, out, 1);
  }

  /** The answer as Rust for Wasmtime's pooling allocator. */
  static String wasmtime(Simulator.Config config, SimResult best) {
    return String.join(
        "\n",
        "Wasmtime equivalent:",
        "  let mut pool = wasmtime::PoolingAllocationConfig::default();",
        "  pool.total_memories(" + config.slots() + ")",
        "      .total_core_instances(" + config.slots() + ")",
        "      .max_unused_warm_slots(" + best.maxWarm() + ")",
        "      .linear_memory_keep_resident(" + best.keepResident() + ");",
        "  config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));",
        "(Wasmtime applies max_unused_warm_slots per pool stripe; slotpool's budget is for the"
            + " whole pool.)");
  }
}
