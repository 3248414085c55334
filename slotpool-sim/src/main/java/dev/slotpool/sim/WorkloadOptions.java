package dev.slotpool.sim;

import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.sim.internal.BadInputException;
import dev.slotpool.sim.internal.CostModel;
import dev.slotpool.sim.internal.Simulator;
import dev.slotpool.sim.internal.Sizes;
import dev.slotpool.sim.internal.Trace;
import dev.slotpool.sim.internal.Workload;
import dev.slotpool.sim.internal.Workloads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The options every subcommand shares: the pool, the workload and the cost model. */
final class WorkloadOptions {
  @Option(
      names = {"-w", "--workload"},
      paramLabel = "NAME",
      defaultValue = "zipf",
      description = {
        "Where keys come from: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
        "uniform: every key alike; zipf: key k with weight 1/(k+1)^s (--skew);"
            + " hotspot: --hot-keys of the keys get --hot-prob of the requests;"
            + " phased: zipf whose popular keys change --phases times;"
            + " trace:FILE: replay a CSV trace ("
            + Trace.FORMAT
            + ")."
      },
      completionCandidates = WorkloadNames.class)
  String workload;

  @Option(
      names = "--slots",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Slots in the pool (total_memories). Default: ${DEFAULT-VALUE}.")
  int slots;

  @Option(
      names = "--keys",
      paramLabel = "N",
      defaultValue = "500",
      description = "Distinct keys (modules) the workload draws from. Default: ${DEFAULT-VALUE}.")
  int keys;

  @Option(
      names = "--ops",
      paramLabel = "N",
      defaultValue = "1000000",
      converter = CountConverter.class,
      description = "Steps to run (allocs and frees; 10m and 1_000_000 work). Default: 1m.")
  long ops;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "42",
      description =
          "Seed of every random choice: same seed, same result. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--free-prob",
      paramLabel = "P",
      defaultValue = "0.5",
      description =
          "Probability that a step frees a random held slot (else it allocates)."
              + " Default: ${DEFAULT-VALUE}.")
  double freeProbability;

  @Option(
      names = "--skew",
      paramLabel = "S",
      defaultValue = "1.0",
      description = "Zipf exponent for zipf and phased. Default: ${DEFAULT-VALUE}.")
  double skew;

  @Option(
      names = "--hot-keys",
      paramLabel = "FRACTION",
      defaultValue = "0.2",
      description = "hotspot: share of keys that are hot. Default: ${DEFAULT-VALUE}.")
  double hotFraction;

  @Option(
      names = "--hot-prob",
      paramLabel = "P",
      defaultValue = "0.8",
      description = "hotspot: probability a request is for a hot key. Default: ${DEFAULT-VALUE}.")
  double hotProbability;

  @Option(
      names = "--phases",
      paramLabel = "N",
      defaultValue = "4",
      description = "phased: number of phases. Default: ${DEFAULT-VALUE}.")
  int phases;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Threads sharing the pool, each running ops/N steps (results vary between runs"
              + " when N > 1). Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(
      names = "--bytes-per-slot",
      paramLabel = "SIZE",
      defaultValue = "1MiB",
      converter = SizeConverter.class,
      description = "Memory an instance dirties in its slot. Default: ${DEFAULT-VALUE}.")
  long bytesPerSlot;

  @Option(
      names = "--cost-hit",
      paramLabel = "US",
      defaultValue = "1",
      description = "Cost model: microseconds for an affinity hit. Default: ${DEFAULT-VALUE}.")
  double costHit;

  @Option(
      names = "--cost-cold",
      paramLabel = "US",
      defaultValue = "20",
      description = "Cost model: microseconds for a cold slot. Default: ${DEFAULT-VALUE}.")
  double costCold;

  @Option(
      names = "--cost-evict",
      paramLabel = "US",
      defaultValue = "30",
      description = "Cost model: microseconds for an eviction. Default: ${DEFAULT-VALUE}.")
  double costEvict;

  @Option(
      names = "--cost-page-fault",
      paramLabel = "US",
      defaultValue = "0.25",
      description =
          "Cost model: microseconds per 4 KiB page of --bytes-per-slot not kept resident."
              + " Default: ${DEFAULT-VALUE}.")
  double costPageFault;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress bar (it is drawn only on a terminal anyway).")
  boolean quiet;

  /**
   * Checks the options and builds the simulator's configuration.
   *
   * @throws BadInputException for a value out of range, an unknown workload or a bad trace
   */
  Simulator.Config config() {
    if (slots < 1 || slots > AffinityIndexAllocator.MAX_CAPACITY) {
      throw new BadInputException(
          "--slots: "
              + slots
              + " (expected: 1 <= N <= "
              + AffinityIndexAllocator.MAX_CAPACITY
              + ")");
    }
    if (keys < 1 || keys > 1 << 24) {
      throw new BadInputException("--keys: " + keys + " (expected: 1 <= N <= " + (1 << 24) + ")");
    }
    if (ops < 1) {
      throw new BadInputException("--ops: " + ops + " (expected: >= 1)");
    }
    if (threads < 1 || threads > 1024) {
      throw new BadInputException("--threads: " + threads + " (expected: 1 <= N <= 1024)");
    }
    if (!(freeProbability >= 0 && freeProbability <= 1)) {
      throw new BadInputException("--free-prob: " + freeProbability + " (expected: 0 <= P <= 1)");
    }
    CostModel costs = new CostModel(costHit, costCold, costEvict, costPageFault, 4096);
    if (workload.startsWith("trace:")) {
      String file = workload.substring("trace:".length());
      if (file.isEmpty()) {
        throw new BadInputException("--workload: 'trace:' names no file (expected: trace:FILE)");
      }
      if (threads != 1) {
        throw new BadInputException(
            "--threads: " + threads + " (expected: 1 with a trace, which replays in order)");
      }
      Trace trace = Trace.read(Path.of(file));
      return new Simulator.Config(
          null, trace, slots, trace.events(), seed, freeProbability, 1, bytesPerSlot, costs);
    }
    Workload generated =
        Workloads.generated(workload, keys, skew, hotFraction, hotProbability, phases, seed);
    return new Simulator.Config(
        generated, null, slots, ops, seed, freeProbability, threads, bytesPerSlot, costs);
  }

  /** The workload names, for help and completion. */
  static final class WorkloadNames extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    WorkloadNames() {
      super(List.of("uniform", "zipf", "hotspot", "phased", "trace:FILE"));
    }
  }

  /** Parses sizes such as 65536, 64KiB or 1m. */
  static final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return Sizes.parse("size", value);
      } catch (BadInputException e) {
        throw new TypeConversionException(
            "'" + value + "' is not a size (expected: bytes >= 0, such as 65536 or 64KiB)");
      }
    }
  }

  /** Parses counts such as 1000000, 1_000_000, 10m or 500k (powers of ten). */
  static final class CountConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      String s = value.strip().toLowerCase(Locale.ROOT).replace("_", "");
      long unit = 1;
      if (s.endsWith("k")) {
        unit = 1_000;
      } else if (s.endsWith("m")) {
        unit = 1_000_000;
      } else if (s.endsWith("g")) {
        unit = 1_000_000_000;
      }
      if (unit != 1) {
        s = s.substring(0, s.length() - 1);
      }
      try {
        return Math.multiplyExact(Long.parseLong(s), unit);
      } catch (NumberFormatException | ArithmeticException e) {
        throw new TypeConversionException(
            "'" + value + "' is not a count (expected: an integer such as 1000000 or 10m)");
      }
    }
  }
}
