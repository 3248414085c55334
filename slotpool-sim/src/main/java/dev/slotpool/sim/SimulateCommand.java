package dev.slotpool.sim;

import dev.slotpool.sim.internal.BadInputException;
import dev.slotpool.sim.internal.Charts;
import dev.slotpool.sim.internal.Guards;
import dev.slotpool.sim.internal.MemoryModel;
import dev.slotpool.sim.internal.OutputFiles;
import dev.slotpool.sim.internal.Policy;
import dev.slotpool.sim.internal.Progress;
import dev.slotpool.sim.internal.Provenance;
import dev.slotpool.sim.internal.Repeats;
import dev.slotpool.sim.internal.Reports;
import dev.slotpool.sim.internal.SimResult;
import dev.slotpool.sim.internal.Simulator;
import dev.slotpool.sim.internal.Sizes;
import dev.slotpool.sim.internal.Thresholds;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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
          + " or fixed --keep-resident per slot. With no options: zipf over 500 keys, 1000 slots,"
          + " 700 requests in flight on average, 1m steps, every policy, max-warm swept over"
          + " 0,1,2,4,...,1000.",
      ""
    },
    footer = {
      "",
      "Policies: affinity = AffinityIndexAllocator, sharded = ShardedAffinityIndexAllocator,"
          + " simple = SimpleIndexAllocator (the library's classes); random and fifo = baselines.",
      "Hit rate: successful allocations that got a slot last used by the same key.",
      "Examples:",
      "  slotpool simulate --workload hotspot --max-warm 0,4,16,64 --policy affinity,random",
      "  slotpool simulate --ops 10m --policy affinity --max-warm 10 --format csv",
      "  slotpool simulate --model seed --workload uniform --keys 10 --max-warm 1000 -p affinity",
      "  slotpool simulate --model seed --workload uniform --keys 10 --max-warm 1000 -p affinity"
          + " --ops 10m --repeat 20",
      "  slotpool simulate --hosts 8 --routing bounded-hash --max-warm 16",
      "  slotpool simulate --workload trace:requests.csv --out results/"
    })
final class SimulateCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin WorkloadOptions workload;

  @Option(
      names = {"-p", "--policy"},
      paramLabel = "NAME",
      split = ",",
      description = "Policies to run: affinity, sharded, simple, random, fifo. Default: all.")
  List<String> policies;

  @Option(
      names = {"-m", "--max-warm"},
      paramLabel = "LIST",
      defaultValue = "auto",
      description =
          "Thresholds (maxUnusedWarmSlots) to sweep: 4, 0,2,8, 0..16 or auto"
              + " (0, powers of two, slots). Default: ${DEFAULT-VALUE}.")
  String maxWarm;

  @Option(
      names = "--reset",
      paramLabel = "POLICY",
      defaultValue = "adaptive",
      description =
          "The pool's reset policy: adaptive (keep every written page resident within"
              + " --resident-budget; the coldest warm slots are decommitted first when it binds) or"
              + " fixed (keep at most --keep-resident per freed slot). Default: ${DEFAULT-VALUE}.")
  String reset;

  @Option(
      names = "--resident-budget",
      paramLabel = "SIZE",
      defaultValue = DEFAULT_RESIDENT_BUDGET,
      converter = WorkloadOptions.SizeConverter.class,
      description =
          "adaptive: bytes all warm slots of a pool may keep resident (residentBudgetBytes)."
              + " Default: ${DEFAULT-VALUE}.")
  long residentBudget;

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
              + " hit rate, its 95% confidence interval and the spread across seeds instead of"
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
      description = "Chart format for --out: png or svg. Default: ${DEFAULT-VALUE}.")
  Charts.Format chart;

  /** The adaptive policy's default pool-wide resident budget. */
  static final String DEFAULT_RESIDENT_BUDGET = "64MiB";

  /** How results are printed. */
  enum OutputFormat {
    table,
    csv,
    json
  }

  @Override
  public Integer call() throws IOException {
    Simulator.Config config = workload.config();
    List<Integer> thresholds = Thresholds.parse("--max-warm", maxWarm, config.slots());
    List<Policy.Kind> kinds = parsePolicies(policies);
    MemoryModel memory = memoryModel(reset, residentBudget, keepResident);
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
    Guards.checkHeap(
        (long) config.slots() * config.hosts(),
        config.keys(),
        config.trace() == null ? 0 : config.trace().events());
    if (out != null) {
      OutputFiles.checkDirectory(
          "--out", out, "simulate.csv", "simulate." + chart.name().toLowerCase(Locale.ROOT));
    }
    long total = 0;
    for (Policy.Kind kind : kinds) {
      total += config.totalSteps() * (kind.usesThreshold() ? thresholds.size() : 1);
    }
    PrintWriter err = spec.commandLine().getErr();
    total = Math.multiplyExact(total, repeat);
    Guards.checkTime(total, workload.force, workload.quiet, err);
    if (repeat > 1) {
      return repeated(config, kinds, thresholds, memory, total, err);
    }
    Simulator simulator = new Simulator(config);
    List<SimResult> results = new ArrayList<>();
    try (Progress progress = Progress.start(err, total, !workload.quiet && Progress.terminal())) {
      for (Policy.Kind kind : kinds) {
        for (int threshold : kind.usesThreshold() ? thresholds : thresholds.subList(0, 1)) {
          progress.label(kind.label() + (kind.usesThreshold() ? " max-warm " + threshold : ""));
          results.add(simulator.run(kind, threshold, memory, progress.done()));
        }
      }
    }
    SimResult best = best(results);
    Provenance provenance = Slotpool.provenance(spec, config.seed());
    PrintWriter stdout = spec.commandLine().getOut();
    switch (format) {
      case csv -> Reports.csv(results, best, provenance, stdout);
      case json -> Reports.json(results, best, provenance, stdout);
      case table -> {
        stdout.println(summary(config, memory));
        stdout.println(measured(config, results.get(0)));
        stdout.println();
        Reports.table(results, stdout);
        stdout.println();
        stdout.println(bestLine(best));
        stdout.flush();
      }
    }
    Guards.warnFailures(results, err);
    if (out != null) {
      writeFiles(config, results, best, provenance);
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
        stdout.println(summary(first, memory));
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

  static MemoryModel memoryModel(String reset, long residentBudget, long keepResident) {
    return switch (reset.strip()) {
      case "adaptive" -> MemoryModel.adaptive(residentBudget);
      case "fixed" -> MemoryModel.fixed(keepResident);
      default ->
          throw new BadInputException("--reset: '" + reset + "' (expected: adaptive or fixed)");
    };
  }

  private void writeFiles(
      Simulator.Config config, List<SimResult> results, SimResult best, Provenance provenance)
      throws IOException {
    Path csv = out.resolve("simulate.csv");
    try (PrintWriter writer = new PrintWriter(Files.newBufferedWriter(csv))) {
      Reports.csv(results, best, provenance, writer);
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

  static List<Policy.Kind> parsePolicies(List<String> names) {
    if (names == null || names.isEmpty()) {
      return Policy.Kind.all();
    }
    LinkedHashSet<Policy.Kind> kinds = new LinkedHashSet<>();
    for (String name : names) {
      kinds.add(Policy.Kind.parse(name));
    }
    return new ArrayList<>(kinds);
  }

  static String summary(Simulator.Config config, MemoryModel memory) {
    String steps;
    if (config.trace() != null) {
      steps = Reports.grouped(config.steps()) + " trace events";
    } else {
      steps =
          Reports.grouped(config.ops())
              + " steps"
              + (config.warmup() > 0
                  ? " after " + Reports.grouped(config.warmup()) + " warm-up steps"
                  : "")
              + " (seed "
              + config.seed()
              + (config.threads() > 1 ? ", " + config.threads() + " threads" : "")
              + ")";
    }
    String pools =
        config.hosts() > 1
            ? config.hosts()
                + " hosts of "
                + config.slots()
                + " slots ("
                + config.routing().label()
                + " routing)"
            : config.slots() + " slots";
    String reset =
        memory.adaptive()
            ? "adaptive reset, resident budget " + Sizes.format(memory.bytes())
            : "fixed reset, keep-resident "
                + Sizes.format(Math.min(memory.bytes(), config.bytesPerSlot()));
    return config.describe()
        + ": "
        + pools
        + ", "
        + config.keys()
        + " keys, "
        + steps
        + ", "
        + Sizes.format(config.bytesPerSlot())
        + " written per request, "
        + reset
        + (config.costs().endToEnd() ? ", measured costs" : "")
        + "\n"
        + (config.trace() != null ? "replayed in order" : config.model().describe());
  }

  /** The load the run actually saw: requests in flight, mean and peak. */
  static String measured(Simulator.Config config, SimResult r) {
    if (r.meanInFlight() < 0) {
      return "requests in flight: peak " + Reports.grouped(r.peakInFlight());
    }
    return String.format(
        Locale.ROOT,
        "requests in flight: mean %.1f, peak %s (of %s slots)",
        r.meanInFlight(),
        Reports.grouped(r.peakInFlight()),
        Reports.grouped((long) config.slots() * config.hosts()));
  }

  /** The highest hit rate among runs that failed at most 1% of allocations, or null. */
  static SimResult best(List<SimResult> results) {
    SimResult best = null;
    for (SimResult r : results) {
      if (Guards.failedTooOften(r)) {
        continue;
      }
      if (best == null || r.hitRate() > best.hitRate() + 1e-12) {
        best = r;
      }
    }
    return best;
  }

  private static String bestLine(SimResult best) {
    if (best == null) {
      return "Best: none: every run failed more than 1% of its allocations (the pool is too"
          + " small for the load: more --slots or a lower --concurrency)";
    }
    return String.format(
        Locale.ROOT,
        "Best hit rate: %s%s at %.2f%% (%.1f us per allocation estimated)."
            + "%nFor the best setting within a memory budget: slotpool tune --budget SIZE",
        best.policy(),
        best.maxWarm() < 0 ? "" : " max-warm " + best.maxWarm(),
        100 * best.hitRate(),
        best.meanCostMicros());
  }
}
