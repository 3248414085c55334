package dev.slotpool.sim;

import dev.slotpool.sim.internal.BadInputException;
import dev.slotpool.sim.internal.Charts;
import dev.slotpool.sim.internal.Policy;
import dev.slotpool.sim.internal.Progress;
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
      "Step model (the Wasmtime seed's random test): while any slot is held, a step frees a"
          + " random held slot with probability --free-prob; otherwise it allocates a slot for a"
          + " key drawn from the workload. With no options: zipf over 500 keys, 1000 slots,"
          + " 1m steps, every policy, max-warm swept over 0,1,2,4,...,1000.",
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
      names = "--keep-resident",
      paramLabel = "SIZE",
      defaultValue = "64KiB",
      converter = WorkloadOptions.SizeConverter.class,
      description =
          "Bytes a freed slot keeps resident (capped by --bytes-per-slot), as Wasmtime's"
              + " linear_memory_keep_resident. Default: ${DEFAULT-VALUE}.")
  long keepResident;

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
    Simulator simulator = new Simulator(config);

    long total = 0;
    for (Policy.Kind kind : kinds) {
      total += config.steps() * (kind.usesThreshold() ? thresholds.size() : 1);
    }
    PrintWriter err = spec.commandLine().getErr();
    List<SimResult> results = new ArrayList<>();
    try (Progress progress = Progress.start(err, total, !workload.quiet && Progress.terminal())) {
      for (Policy.Kind kind : kinds) {
        for (int threshold : kind.usesThreshold() ? thresholds : thresholds.subList(0, 1)) {
          progress.label(kind.label() + (kind.usesThreshold() ? " max-warm " + threshold : ""));
          results.add(simulator.run(kind, threshold, keepResident, progress.done()));
        }
      }
    }

    PrintWriter stdout = spec.commandLine().getOut();
    switch (format) {
      case csv -> Reports.csv(results, stdout);
      case json -> Reports.json(results, stdout);
      case table -> {
        stdout.println(summary(config, keepResident));
        stdout.println();
        Reports.table(results, stdout);
        stdout.println();
        stdout.println(best(results));
        stdout.flush();
      }
    }
    if (out != null) {
      writeFiles(config, results);
    }
    return 0;
  }

  private void writeFiles(Simulator.Config config, List<SimResult> results) throws IOException {
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      throw new BadInputException("--out: cannot create directory " + out + " (" + e + ")");
    }
    Path csv = out.resolve("simulate.csv");
    try (PrintWriter writer = new PrintWriter(Files.newBufferedWriter(csv))) {
      Reports.csv(results, writer);
    }
    Path image = out.resolve("simulate." + chart.name().toLowerCase(Locale.ROOT));
    Charts.write(
        results,
        config.describe() + ", " + config.slots() + " slots, " + config.keys() + " keys",
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

  static String summary(Simulator.Config config, long keepResident) {
    String steps =
        config.trace() != null
            ? Reports.grouped(config.steps()) + " trace events"
            : Reports.grouped(config.ops())
                + " steps (free-prob "
                + config.freeProbability()
                + ", seed "
                + config.seed()
                + (config.threads() > 1 ? ", " + config.threads() + " threads" : "")
                + ")";
    return config.describe()
        + ": "
        + config.slots()
        + " slots, "
        + config.keys()
        + " keys, "
        + steps
        + ", "
        + Sizes.format(config.bytesPerSlot())
        + " per slot, keep-resident "
        + Sizes.format(Math.min(keepResident, config.bytesPerSlot()));
  }

  private static String best(List<SimResult> results) {
    SimResult best = null;
    for (SimResult r : results) {
      if (best == null || r.hitRate() > best.hitRate() + 1e-12) {
        best = r;
      }
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
