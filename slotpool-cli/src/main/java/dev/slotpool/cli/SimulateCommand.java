package dev.slotpool.cli;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.Guards;
import dev.slotpool.cli.input.OutputFiles;
import dev.slotpool.cli.input.Sizes;
import dev.slotpool.cli.input.Thresholds;
import dev.slotpool.cli.model.MemoryModel;
import dev.slotpool.cli.model.Policy;
import dev.slotpool.cli.model.SimResult;
import dev.slotpool.cli.model.Simulator;
import dev.slotpool.cli.report.Charts;
import dev.slotpool.cli.report.Progress;
import dev.slotpool.cli.report.Provenance;
import dev.slotpool.cli.report.Repeats;
import dev.slotpool.cli.report.Reports;
import dev.slotpool.cli.report.RunSummary;
import dev.slotpool.cli.report.Sweep;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code slotpool simulate}: run a workload against each policy and threshold, report metrics. */
@Command(
    name = "simulate",
    header = "Simulate a workload against the real allocators: hit rate, evictions, memory.",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Runs a workload against the real allocators and reports, per policy and max-warm"
          + " threshold: hit rate, cold allocations, evictions, failures, warm slots, resident"
          + " memory and an estimated instantiation cost.",
      "",
      "Step model (--model): steady by default: requests arrive (Poisson, or a fixed number in"
          + " flight) and hold a slot for a service time, a tenth of the run warms up unmeasured;"
          + " or seed: the Wasmtime seed's random test. Memory (--reset): adaptive by default,"
          + " every written page kept resident within --resident-budget for the whole pool;"
          + " or fixed --keep-resident per slot.",
      "",
      "With no options: zipf over 500 keys, 700 requests in flight on average, 1m steps, pools"
          + " starting warm; it sweeps what matters in that steady state, the slot count"
          + " (750,1000,1500) and the resident budget (16MiB,64MiB,256MiB), for affinity against"
          + " simple and random. max-warm matters only while pools fill up: --cold-start or"
          + " --model seed sweep it (0,1,2,4,...,slots). A knob that changed nothing is said so"
          + " in one line, with its rows shown once.",
      ""
    },
    footer = {
      "",
      "Policies: affinity = AffinityIndexAllocator, sharded = ShardedAffinityIndexAllocator,"
          + " simple = SimpleIndexAllocator (the library's classes); random and fifo = baselines.",
      "Hit rate: successful allocations that got a slot last used by the same key.",
      "Examples:",
      "  slotpool simulate --cold-start --workload hotspot --max-warm 0,4,16,64 -p affinity,random",
      "  slotpool simulate --ops 10m --policy affinity --max-warm 10 --format csv",
      "  slotpool simulate --model seed --workload uniform --keys 10 --max-warm 1000 -p affinity",
      "  slotpool simulate --model seed --workload uniform --keys 10 --max-warm 1000 -p affinity"
          + " --ops 10m --repeat 20",
      "  slotpool simulate --hosts 8 --routing bounded-hash --resident-budget 8MiB",
      "  slotpool simulate --workload trace:requests.csv --out results/"
    })
final class SimulateCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin WorkloadOptions workload;

  @Option(
      names = {"-p", "--policy"},
      paramLabel = "NAME",
      split = ",",
      description =
          "Policies to run: ${COMPLETION-CANDIDATES}. Default: all, or affinity, simple and"
              + " random when the steady-state sweep of slots and budgets runs.")
  List<Policy.Kind> policies;

  @Option(
      names = {"-m", "--max-warm"},
      paramLabel = "LIST",
      defaultValue = "auto",
      description =
          "Thresholds (maxUnusedWarmSlots) to sweep: 4, 0,2,8, 0..16 or auto: 0, powers of"
              + " two, slots; with warm pools in the steady state, where it changes nothing, auto"
              + " is the pool's default (slots). Default: ${DEFAULT-VALUE}.")
  String maxWarm;

  @Option(
      names = "--reset",
      paramLabel = "POLICY",
      defaultValue = "adaptive",
      description =
          "The pool's reset policy: adaptive (keep every written page resident within"
              + " --resident-budget; the coldest warm slots are decommitted first when it binds) or"
              + " fixed (keep at most --keep-resident per freed slot). Default: ${DEFAULT-VALUE}.")
  Reset reset;

  @Option(
      names = "--resident-budget",
      paramLabel = "SIZES",
      split = ",",
      converter = WorkloadOptions.SizeConverter.class,
      description =
          "adaptive: bytes all warm slots of a pool may keep resident (residentBudgetBytes), or"
              + " a list to sweep. Default: 64MiB, and 16MiB,64MiB,256MiB in the steady-state"
              + " sweep.")
  List<Long> residentBudgets;

  @Option(
      names = "--keep-resident",
      paramLabel = "SIZE",
      defaultValue = "64KiB",
      converter = WorkloadOptions.SizeConverter.class,
      description =
          "fixed: bytes a freed slot keeps resident (keepResidentBytes, Wasmtime's"
              + " linear_memory_keep_resident). Default: ${DEFAULT-VALUE}.")
  long keepResident;

  @Option(
      names = "--repeat",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Run every configuration with N seeds (--seed, --seed + 1, ...) and report the mean"
              + " hit rate, its 95%% confidence interval and the spread across seeds instead of"
              + " one seed's figures. One seed can be far from the mean: in the seed model the"
              + " held slots random-walk. Default: ${DEFAULT-VALUE}.")
  int repeat;

  @Option(
      names = {"-f", "--format"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "Output: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  OutputFormat format;

  @Option(
      names = {"-o", "--out"},
      paramLabel = "DIR",
      description = "Also write DIR/simulate.csv and a chart of hit rate and memory vs max-warm.")
  Path out;

  @Option(
      names = "--chart",
      paramLabel = "FORMAT",
      defaultValue = "png",
      description = "Chart format for --out: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  Charts.Format chart;

  /** The adaptive policy's default pool-wide resident budget. */
  static final long DEFAULT_RESIDENT_BUDGET = 64L << 20;

  /** The budgets of the steady-state sweep. */
  private static final List<Long> SWEPT_BUDGETS = List.of(16L << 20, 64L << 20, 256L << 20);

  /** The slot counts of the steady-state sweep, as parts of the default 1000. */
  private static final List<Integer> SWEPT_SLOTS = List.of(750, 1000, 1500);

  @Override
  public Integer call() throws IOException {
    workload.refuseUnless(
        reset == Reset.adaptive, "--resident-budget", "--reset adaptive, the default");
    workload.refuseUnless(reset == Reset.fixed, "--keep-resident", "--reset fixed");
    workload.refuseUnless(out != null, "--chart", "--out DIR, where the chart is written");
    boolean sweep =
        workload.warmSteadyState() && workload.hosts == 1 && !workload.given("--max-warm");
    List<Integer> slotCounts =
        sweep && !workload.given("--slots") ? SWEPT_SLOTS : workload.slotCounts;
    List<Simulator.Config> configs = new ArrayList<>();
    for (int slots : slotCounts) {
      configs.add(workload.config(slots, workload.slotCounts.get(0)));
    }
    Simulator.Config config = configs.get(0);
    List<List<Integer>> thresholds = new ArrayList<>();
    for (Simulator.Config c : configs) {
      thresholds.add(
          workload.warmSteadyState() && !workload.given("--max-warm")
              ? List.of(c.slots())
              : Thresholds.parse("--max-warm", maxWarm, c.slots()));
    }
    List<Policy.Kind> kinds =
        policies != null && !policies.isEmpty()
            ? new ArrayList<>(new LinkedHashSet<>(policies))
            : sweep
                ? List.of(Policy.Kind.AFFINITY, Policy.Kind.SIMPLE, Policy.Kind.RANDOM)
                : Policy.Kind.all();
    List<MemoryModel> memories = new ArrayList<>();
    if (reset == Reset.fixed) {
      memories.add(MemoryModel.fixed(keepResident));
    } else if (residentBudgets != null && !residentBudgets.isEmpty()) {
      for (long budget : new java.util.TreeSet<>(residentBudgets)) {
        memories.add(MemoryModel.adaptive(budget));
      }
    } else {
      for (long budget : sweep ? SWEPT_BUDGETS : List.of(DEFAULT_RESIDENT_BUDGET)) {
        memories.add(MemoryModel.adaptive(budget));
      }
    }
    if (repeat < 1 || repeat > 1000) {
      throw new BadInputException("--repeat: " + repeat + " (expected: 1 <= N <= 1000)");
    }
    if (repeat > 1 && (config.trace() != null || out != null)) {
      throw new BadInputException(
          "--repeat: "
              + repeat
              + " (expected: 1 with a trace or --out; repeats vary the seed of a generated"
              + " workload and print a summary)");
    }
    if (repeat > 1 && (configs.size() > 1 || memories.size() > 1)) {
      throw new BadInputException(
          "--repeat: "
              + repeat
              + " (expected: 1 with several --slots or --resident-budget values; give one of"
              + " each to repeat)");
    }
    int largest = 0;
    for (Simulator.Config c : configs) {
      largest = Math.max(largest, c.slots());
    }
    Guards.checkHeap(
        (long) largest * config.hosts(),
        config.keys(),
        config.trace() == null ? 0 : config.trace().events());
    if (out != null) {
      OutputFiles.checkDirectory(
          "--out", out, "simulate.csv", "simulate." + chart.name().toLowerCase(Locale.ROOT));
    }
    long total = 0;
    for (int i = 0; i < configs.size(); i++) {
      for (Policy.Kind kind : kinds) {
        total +=
            configs.get(i).totalSteps()
                * (kind.usesThreshold() ? thresholds.get(i).size() : 1)
                * memories.size();
      }
    }
    PrintWriter err = spec.commandLine().getErr();
    total = Math.multiplyExact(total, repeat);
    Guards.checkTime(total, workload.force, workload.quiet, err);
    if (repeat > 1) {
      return repeated(config, kinds, thresholds.get(0), memories.get(0), total, err);
    }
    List<SimResult> results = new ArrayList<>();
    try (Progress progress = Progress.start(err, total, !workload.quiet && Progress.terminal())) {
      for (Policy.Kind kind : kinds) {
        for (int i = 0; i < configs.size(); i++) {
          Simulator simulator = new Simulator(configs.get(i));
          List<Integer> ts = thresholds.get(i);
          for (int threshold : kind.usesThreshold() ? ts : ts.subList(0, 1)) {
            for (MemoryModel memory : memories) {
              progress.label(
                  kind.label()
                      + (configs.size() > 1 ? ", " + configs.get(i).slots() + " slots" : "")
                      + (kind.usesThreshold() ? ", max-warm " + threshold : "")
                      + (memories.size() > 1 ? ", " + Sizes.format(memory.bytes()) : ""));
              results.add(simulator.run(kind, threshold, memory, progress.done()));
            }
          }
        }
      }
    }
    Sweep sweepReport = new Sweep(results);
    Sweep.Best best = sweepReport.best();
    List<SimResult> chosen = Sweep.chosen(best);
    Provenance provenance = Slotpool.provenance(spec, config.seed());
    PrintWriter stdout = spec.commandLine().getOut();
    switch (format) {
      case csv -> Reports.csv(results, chosen, provenance, stdout);
      case json -> Reports.json(results, chosen, provenance, stdout);
      case table -> {
        stdout.println(
            RunSummary.summary(config, memories.get(0), configs.size() > 1, memories.size() > 1));
        // The load as measured on the pool size the offered load is a share of.
        SimResult loaded = results.get(0);
        for (SimResult r : results) {
          if (r.slots() == workload.slotCounts.get(0)) {
            loaded = r;
            break;
          }
        }
        stdout.println(RunSummary.measured(config, loaded));
        stdout.println();
        sweepReport.table(stdout);
        stdout.println();
        for (String line : sweepReport.inertLines(workload.warmSteadyState())) {
          stdout.println(line);
        }
        if (sweep && !workload.given("--max-warm")) {
          stdout.println(
              "max-warm is the pool's default (the slot count) and not swept: with warm pools it"
                  + " changes nothing (--cold-start sweeps it).");
        }
        stdout.println(bestLine(sweepReport, best));
        stdout.flush();
      }
    }
    Guards.warnFailures(results, err);
    if (out != null) {
      writeFiles(config, results, chosen, provenance);
    }
    return 0;
  }

  /** Runs every configuration with {@link #repeat} seeds and prints the summaries. */
  private int repeated(
      Simulator.Config first,
      List<Policy.Kind> kinds,
      List<Integer> thresholds,
      MemoryModel memory,
      long total,
      PrintWriter err) {
    long firstSeed = workload.seed;
    List<List<SimResult>> runs = new ArrayList<>();
    try (Progress progress = Progress.start(err, total, !workload.quiet && Progress.terminal())) {
      for (int r = 0; r < repeat; r++) {
        workload.seed = firstSeed + r;
        Simulator simulator = new Simulator(r == 0 ? first : workload.config());
        int index = 0;
        for (Policy.Kind kind : kinds) {
          for (int threshold : kind.usesThreshold() ? thresholds : thresholds.subList(0, 1)) {
            progress.label(
                kind.label()
                    + (kind.usesThreshold() ? " max-warm " + threshold : "")
                    + ", seed "
                    + workload.seed);
            if (r == 0) {
              runs.add(new ArrayList<>());
            }
            runs.get(index++).add(simulator.run(kind, threshold, memory, progress.done()));
          }
        }
      }
    } finally {
      workload.seed = firstSeed;
    }
    List<Repeats.Summary> summaries = new ArrayList<>();
    List<SimResult> all = new ArrayList<>();
    for (List<SimResult> one : runs) {
      summaries.add(Repeats.summarize(one, firstSeed));
      all.addAll(one);
    }
    Provenance provenance = Slotpool.provenance(spec, firstSeed);
    PrintWriter stdout = spec.commandLine().getOut();
    switch (format) {
      case csv -> Repeats.csv(summaries, provenance, stdout);
      case json -> Repeats.json(summaries, provenance, stdout);
      case table -> {
        stdout.println(RunSummary.summary(first, memory, false, false));
        stdout.println(
            "repeated with seeds "
                + firstSeed
                + ".."
                + (firstSeed + repeat - 1)
                + ": the mean hit rate, the 95% confidence interval of the mean (Student's t),"
                + " and the spread across seeds");
        stdout.println();
        Repeats.table(summaries, stdout);
        stdout.flush();
      }
    }
    Guards.warnFailures(all, err);
    return 0;
  }

  private void writeFiles(
      Simulator.Config config,
      List<SimResult> results,
      List<SimResult> chosen,
      Provenance provenance)
      throws IOException {
    Path csv = out.resolve("simulate.csv");
    try (PrintWriter writer = new PrintWriter(Files.newBufferedWriter(csv))) {
      Reports.csv(results, chosen, provenance, writer);
    }
    Path image = out.resolve("simulate." + chart.name().toLowerCase(Locale.ROOT));
    Charts.write(
        results,
        config.describe() + ", " + config.slots() + " slots, " + config.keys() + " keys",
        provenance,
        chart,
        image);
    spec.commandLine().getErr().println("wrote " + csv + " and " + image);
  }

  /** {@code max-warm 16, max-warm 32} as {@code max-warm 16, 32}: the words all share once. */
  private static String shared(List<String> settings) {
    String first = settings.get(0);
    int common = first.length();
    for (String s : settings) {
      int i = 0;
      while (i < Math.min(common, s.length()) && s.charAt(i) == first.charAt(i)) {
        i++;
      }
      common = i;
    }
    int cut = first.lastIndexOf(' ', Math.max(0, common - 1)) + 1;
    if (settings.size() == 1 || cut == 0) {
      return String.join(", ", settings).strip();
    }
    List<String> tails = new ArrayList<>();
    for (String s : settings) {
      tails.add(s.substring(cut));
    }
    return first.substring(0, cut) + String.join(", ", tails);
  }

  private static String bestLine(Sweep sweep, Sweep.Best best) {
    if (best == null) {
      return "Best: none: every run failed more than 1% of its allocations (the pool is too"
          + " small for the load: more --slots or a lower --concurrency)";
    }
    SimResult top = best.rows().get(0).result();
    String figures =
        String.format(
            Locale.ROOT,
            "%.2f%% hits, %.1f us per allocation estimated",
            100 * top.hitRate(),
            top.meanCostMicros());
    String line;
    if (best.decidedBy().equals("tie")) {
      // One entry per policy: "affinity max-warm 16, 32, 64", not one per row.
      Map<String, List<String>> byPolicy = new LinkedHashMap<>();
      for (Sweep.Row row : best.rows()) {
        String policy = row.result().policy();
        String rest = sweep.describe(row).substring(policy.length());
        byPolicy.computeIfAbsent(policy, p -> new ArrayList<>()).add(rest.strip());
      }
      List<String> names = new ArrayList<>();
      byPolicy.forEach((policy, rests) -> names.add(policy + " " + shared(rests)));
      line =
          "Best: a tie at "
              + figures
              + " between "
              + String.join("; ", names)
              + (names.stream().allMatch(n -> n.startsWith("affinity") || n.startsWith("sharded"))
                  ? " (sharded makes affinity's choices when one thread uses it)"
                  : "")
              + ".";
    } else {
      line =
          "Best: "
              + sweep.describe(best.rows().get(0))
              + ": "
              + figures
              + (best.decidedBy().equals("cost")
                  ? " (others had the same hit rate; the lowest estimated cost decided)"
                  : "")
              + ".";
    }
    return line
        + System.lineSeparator()
        + "For the best setting within a memory budget: slotpool tune --budget SIZE";
  }
}
