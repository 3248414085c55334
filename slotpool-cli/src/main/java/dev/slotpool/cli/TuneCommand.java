package dev.slotpool.cli;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.Guards;
import dev.slotpool.cli.input.Sizes;
import dev.slotpool.cli.input.Thresholds;
import dev.slotpool.cli.model.MemoryModel;
import dev.slotpool.cli.model.Policy;
import dev.slotpool.cli.model.SimResult;
import dev.slotpool.cli.model.Simulator;
import dev.slotpool.cli.report.Progress;
import dev.slotpool.cli.report.Provenance;
import dev.slotpool.cli.report.Reports;
import dev.slotpool.cli.report.RunSummary;
import dev.slotpool.cli.report.Sweep;
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
          + " keep-resident too) and prints the setting with the highest hit rate whose warm slots"
          + " stay within --budget of resident memory (ties: the lowest estimated cost, then the"
          + " pool's default threshold, else the largest, and the tie is said), skipping settings"
          + " that fail more than 1%% of allocations; then the curve behind it and the answer as a"
          + " WasmInstancePool / MemoryPool builder, as wasmtime -O flags and as Rust. With the"
          + " adaptive reset (the default) the budget is the pool's resident budget, so every"
          + " setting fits it. With warm pools in the steady state max-warm changes nothing and is"
          + " not swept.",
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
  Reset reset;

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
  OutputFormat format;

  @Override
  public Integer call() {
    workload.refuseUnless(reset == Reset.fixed, "--keep-resident", "--reset fixed");
    Simulator.Config config = workload.config();
    // With warm pools max-warm changes nothing: the pool's default (every slot) is the answer.
    boolean fixedThreshold = workload.warmSteadyState() && !workload.given("--max-warm");
    List<Integer> thresholds =
        fixedThreshold
            ? List.of(config.slots())
            : Thresholds.parse("--max-warm", maxWarm, config.slots());
    boolean adaptive = reset == Reset.adaptive;
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
    List<String> notes = new ArrayList<>(new Sweep(curve).inertLines(workload.warmSteadyState()));
    if (fixedThreshold) {
      notes.add(
          "max-warm is the pool's default (the slot count) and not swept: with warm pools it"
              + " changes nothing (--cold-start sweeps it).");
    }
    String tie = tie(curve, best);
    if (tie != null) {
      notes.add(tie);
    }
    Provenance provenance = Slotpool.provenance(spec, config.seed());
    PrintWriter out = spec.commandLine().getOut();
    switch (format) {
      case csv -> {
        Reports.csv(curve, best == null ? List.of() : List.of(best), provenance, out);
        Guards.warnFailures(curve, err);
        requireFit(curve, best);
      }
      case json -> {
        Reports.json(curve, best == null ? List.of() : List.of(best), provenance, out);
        Guards.warnFailures(curve, err);
        requireFit(curve, best);
      }
      case table -> {
        out.println(
            RunSummary.summary(config, memories.get(0), false, false)
                .replaceAll(", (adaptive|fixed) reset.*", ""));
        out.println(RunSummary.measured(config, curve.get(0)));
        out.println(
            "budget for warm slots: "
                + Sizes.format(budget)
                + " resident at peak"
                + (config.hosts() > 1 ? " on each host" : ""));
        out.println();
        printCurve(curve, best, out);
        out.println();
        for (String note : notes) {
          out.println(note);
        }
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
            Sizes.format(peakPerHost(best)),
            best.meanCostMicros());
        out.println(Snippets.all(config, best, budget));
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
        if (peakPerHost(r) < peakPerHost(smallest)) {
          smallest = r;
        }
      }
      throw new BadInputException(
          "--budget: no setting tried stays within "
              + Sizes.format(budget)
              + "; the smallest peak is "
              + Sizes.format(peakPerHost(smallest))
              + " at max-warm "
              + smallest.maxWarm()
              + ", "
              + describe(smallest.memory())
              + " (expected: a larger --budget, or smaller --keep-resident values)");
    }
  }

  /**
   * The line that says the answer was one of several equal settings, and which of them it took and
   * why, or null if it won alone.
   */
  private static String tie(List<SimResult> curve, SimResult best) {
    if (best == null) {
      return null;
    }
    TreeSet<Integer> tied = new TreeSet<>();
    for (SimResult r : curve) {
      if (r != best
          && !Guards.failedTooOften(r)
          && r.memory().equals(best.memory())
          && Math.round(r.hitRate() * 10_000) == Math.round(best.hitRate() * 10_000)
          && Math.abs(r.meanCostMicros() - best.meanCostMicros()) <= 1e-9) {
        tied.add(r.maxWarm());
      }
    }
    if (tied.isEmpty()) {
      return null;
    }
    tied.add(best.maxWarm());
    return "max-warm "
        + tied.first()
        + " to "
        + tied.last()
        + " tie ("
        + tied.size()
        + " values tried, equal hit rate and cost); the answer takes "
        + best.maxWarm()
        + ", "
        + (best.maxWarm() == best.slots()
            ? "the pool's default (as many as slots)."
            : "the largest: it keeps the most warm slots should the load grow.");
  }

  /**
   * The highest hit rate within budget; ties to the lowest cost, then to the pool's default
   * threshold (as many as slots) if tied, else the largest.
   */
  static SimResult best(List<SimResult> curve, long budget) {
    SimResult best = null;
    for (SimResult r : curve) {
      if (peakPerHost(r) > budget || Guards.failedTooOften(r)) {
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
    if (a.maxWarm() == a.slots() || b.maxWarm() == b.slots()) {
      return a.maxWarm() == a.slots();
    }
    return a.maxWarm() > b.maxWarm();
  }

  /** The most bytes one pool's warm slots kept resident: the budget is per pool (per host). */
  private static long peakPerHost(SimResult r) {
    return r.fleet().hosts() > 1 ? r.fleet().peakResidentPerHost() : r.peakResidentBytes();
  }

  /** The curve, a max-warm that changed nothing shown once as the range it stands for. */
  private static void printCurve(List<SimResult> curve, SimResult best, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "",
          "max-warm",
          "memory",
          "hit rate",
          "failed",
          "warm peak",
          "resident peak/pool",
          "cost/alloc"
        });
    for (Sweep.Row row : new Sweep(curve).rows()) {
      SimResult r = row.result();
      boolean chosen =
          r == best
              || (row.ranges().containsKey(Sweep.Knob.MAX_WARM)
                  && best != null
                  && r.memory().equals(best.memory()));
      rows.add(
          new String[] {
            chosen ? "=>" : "",
            Sweep.shown(row, Sweep.Knob.MAX_WARM),
            describe(r.memory()),
            String.format(Locale.ROOT, "%.2f%%", 100 * r.hitRate()),
            String.format(Locale.ROOT, "%.2f%%", 100 * r.failureRate()),
            Reports.grouped(r.peakUnusedWarm()),
            Sizes.format(peakPerHost(r)),
            String.format(Locale.ROOT, "%.1f us", r.meanCostMicros())
          });
    }
    Reports.aligned(rows, out, 1);
  }
}
