package dev.slotpool.cli;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.Guards;
import dev.slotpool.cli.input.Sizes;
import dev.slotpool.cli.model.CostModel;
import dev.slotpool.cli.model.Router;
import dev.slotpool.cli.model.ServiceTime;
import dev.slotpool.cli.model.Simulator;
import dev.slotpool.cli.model.StepModel;
import dev.slotpool.cli.model.Workload;
import dev.slotpool.cli.model.Workloads;
import dev.slotpool.cli.trace.CostsFile;
import dev.slotpool.cli.trace.Trace;
import dev.slotpool.index.AffinityIndexAllocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
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
      split = ",",
      defaultValue = "1000",
      description =
          "Slots in the pool (total_memories); simulate sweeps a list such as 500,1000,2000, and"
              + " in the steady state with warm pools and one host sweeps 750,1000,1500 unless"
              + " told. Default: 1000.")
  List<Integer> slotCounts;

  /** The slot count of the configuration being built. */
  private int slots;

  /** The slot count a --concurrency share is of: the first --slots value. */
  private int loadSlots;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

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
      description =
          "Measured steps: arrivals and departures, or allocs and frees (10m and 1_000_000"
              + " work). Default: 1m.")
  long ops;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "42",
      description =
          "Seed of every random choice: same seed, same result. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--model",
      paramLabel = "NAME",
      defaultValue = "steady",
      description = {
        "Step model: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
        "steady: requests arrive (--arrivals) and hold a slot for a service time (--service),"
            + " so the number in flight is stationary; --warmup steps are not measured.",
        "seed: the Wasmtime seed's random test: free a random held slot with probability"
            + " --free-prob, else allocate, retrying a failed allocation."
      })
  Model model;

  /** The step models. */
  enum Model {
    steady,
    seed
  }

  @Option(
      names = "--arrivals",
      paramLabel = "KIND",
      defaultValue = "poisson",
      description =
          "steady: poisson (independent arrivals at a rate) or fixed (a fixed number in flight)."
              + " Default: ${DEFAULT-VALUE}.")
  StepModel.Arrivals arrivals;

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      defaultValue = "70%",
      description =
          "steady: the offered load, requests in flight on average (Poisson) or always (fixed),"
              + " as a number or a share of all slots such as 70%%. Default: ${DEFAULT-VALUE}.")
  String concurrency;

  @Option(
      names = "--service",
      paramLabel = "DIST",
      defaultValue = "exp",
      description =
          "steady: service time distribution, mean 1: exp, fixed, lognormal:CV or pareto:A."
              + " Default: ${DEFAULT-VALUE}.")
  String service;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      defaultValue = "auto",
      description =
          "steady: steps run before measuring, not counted in --ops (auto: a tenth of --ops)."
              + " Default: ${DEFAULT-VALUE}.")
  String warmup;

  @Option(
      names = "--cold-start",
      description =
          "steady: start with cold pools instead of warm ones (every slot used once, as a pool"
              + " that has run for a while); cold pools keep warming up for the whole run.")
  boolean coldStart;

  @Option(
      names = "--free-prob",
      paramLabel = "P",
      defaultValue = "0.5",
      description =
          "seed: probability that a step frees a random held slot (else it allocates)."
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
          "seed: threads sharing the pool, each running ops/N steps (results vary between runs"
              + " when N > 1). Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(
      names = "--bytes-per-slot",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      description =
          "Memory a request writes in its slot (its working set). Default: the costs file's"
              + " bytes_per_slot, else 1MiB.")
  Long bytesPerSlot;

  @Option(
      names = "--hosts",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Fleet mode: N pools of --slots each behind a router (steady model or a trace)."
              + " Default: ${DEFAULT-VALUE}.")
  int hosts;

  @Option(
      names = "--routing",
      paramLabel = "NAME",
      defaultValue = "bounded-hash",
      description =
          "Fleet mode: random, round-robin, hash (consistent hashing) or bounded-hash"
              + " (consistent hashing with bounded loads). Default: ${DEFAULT-VALUE}.")
  Router.Kind routing;

  @Option(
      names = "--balance-factor",
      paramLabel = "E",
      defaultValue = "0.25",
      description =
          "bounded-hash: a host takes at most (1 + E) times the mean load in flight (HAProxy's"
              + " hash-balance-factor 125 is 0.25). Default: ${DEFAULT-VALUE}.")
  double balanceFactor;

  @Option(
      names = "--time-column",
      paramLabel = "NAME",
      defaultValue = "timestamp",
      description = "Request log: the start time column. Default: ${DEFAULT-VALUE}.")
  String timeColumn;

  @Option(
      names = "--key-column",
      paramLabel = "NAME",
      defaultValue = "key",
      description = "Request log: the key (module) column. Default: ${DEFAULT-VALUE}.")
  String keyColumn;

  @Option(
      names = "--duration-column",
      paramLabel = "NAME",
      defaultValue = "duration",
      description =
          "Request log: the duration column, in the unit of the start times."
              + " Default: ${DEFAULT-VALUE}.")
  String durationColumn;

  @Option(
      names = "--resident-column",
      paramLabel = "NAME",
      defaultValue = "resident_bytes",
      description =
          "Request log: the bytes-written column, used if present. Default: ${DEFAULT-VALUE}.")
  String residentColumn;

  @Option(
      names = "--costs",
      paramLabel = "FILE",
      description =
          "Measured costs (written by slotpool bench wasm --costs-out) in place of the"
              + " --cost-* options.")
  Path costsFile;

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
      description = "No progress bar or time estimate (the bar is drawn only on a terminal).")
  boolean quiet;

  @Option(
      names = "--force",
      description = "Run even when the estimated time is over " + Guards.LIMIT_TEXT + ".")
  boolean force;

  /** Standard input, for a trace read from {@code -}; tests replace it. */
  java.io.InputStream stdin = System.in;

  /**
   * Checks the options and builds the simulator's configuration.
   *
   * @throws BadInputException for a value out of range, an unknown workload or a bad trace
   */
  Simulator.Config config() {
    if (slotCounts.size() != 1) {
      throw new BadInputException(
          "--slots: "
              + slotCounts.size()
              + " counts given (expected: one; only simulate sweeps a list)");
    }
    return config(slotCounts.get(0), slotCounts.get(0));
  }

  /**
   * As {@link #config()}, for a pool of {@code slots} slots, with a {@code --concurrency} share
   * taken of {@code loadSlots}.
   */
  Simulator.Config config(int slots, int loadSlots) {
    this.slots = slots;
    this.loadSlots = loadSlots;
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
    if (hosts < 1 || hosts > 4096) {
      throw new BadInputException("--hosts: " + hosts + " (expected: 1 <= N <= 4096)");
    }
    if ((long) slots * hosts > AffinityIndexAllocator.MAX_CAPACITY) {
      throw new BadInputException(
          "--slots x --hosts: "
              + (long) slots * hosts
              + " slots in all (expected: at most "
              + AffinityIndexAllocator.MAX_CAPACITY
              + ")");
    }
    if (!(freeProbability >= 0 && freeProbability <= 1)) {
      throw new BadInputException("--free-prob: " + freeProbability + " (expected: 0 <= P <= 1)");
    }
    checkApplies();
    Router.Kind routingKind = routing;
    CostModel costs = new CostModel(costHit, costCold, costEvict, costPageFault, 4096, false);
    long working = bytesPerSlot == null ? 1L << 20 : bytesPerSlot;
    if (costsFile != null) {
      CostsFile.Measured measured = CostsFile.read(costsFile);
      costs = measured.costs();
      if (bytesPerSlot == null && measured.bytesPerSlot() >= 0) {
        working = measured.bytesPerSlot();
      }
    }
    StepModel stepModel = stepModel();
    if (workload.startsWith("trace:")) {
      String file = workload.substring("trace:".length());
      if (file.isEmpty()) {
        throw new BadInputException("--workload: 'trace:' names no file (expected: trace:FILE)");
      }
      if (threads != 1) {
        throw new BadInputException(
            "--threads: " + threads + " (expected: 1 with a trace, which replays in order)");
      }
      Trace trace =
          Trace.read(
              file,
              new Trace.Columns(timeColumn, keyColumn, durationColumn, residentColumn),
              stdin);
      Guards.checkBytes(working, trace.maxBytes(), (long) slots * hosts);
      return Simulator.Config.replay(trace, slots, seed)
          .withBytesPerSlot(working)
          .withCosts(costs)
          .withFleet(hosts, routingKind, balanceFactor);
    }
    if (stepModel instanceof StepModel.Seed && hosts != 1) {
      throw new BadInputException(
          "--hosts: " + hosts + " (expected: 1 with --model seed; fleets need the steady model)");
    }
    if (stepModel instanceof StepModel.Steady && threads != 1) {
      throw new BadInputException(
          "--threads: " + threads + " (expected: 1 with the steady model, a single timeline)");
    }
    Guards.checkBytes(working, 0, (long) slots * hosts);
    Workload generated =
        Workloads.generated(workload, keys, skew, hotFraction, hotProbability, phases, seed);
    return Simulator.Config.generated(generated, stepModel, slots, ops, seed)
        .withThreads(threads)
        .withBytesPerSlot(working)
        .withCosts(costs)
        .withFleet(hosts, routingKind, balanceFactor);
  }

  /** Whether the command line named {@code option}. */
  boolean given(String option) {
    var parsed = command == null ? null : command.commandLine().getParseResult();
    return parsed != null && parsed.hasMatchedOption(option);
  }

  /**
   * Refuses an option the command line names although the run would ignore it.
   *
   * @param needs what the option needs, such as {@code --model seed}
   */
  void refuseUnless(boolean applies, String option, String needs) {
    if (!applies && given(option)) {
      throw new BadInputException(option + ": has no effect here (expected: " + needs + ")");
    }
  }

  /** Whether the pools start warm and the steady model runs: max-warm then changes nothing. */
  boolean warmSteadyState() {
    return !workload.startsWith("trace:") && model == Model.steady && !coldStart;
  }

  /** The options only the steady model reads. */
  static final List<String> STEADY_OPTIONS =
      List.of("--arrivals", "--concurrency", "--service", "--warmup", "--cold-start");

  /** Refuses every option that the chosen model, workload or fleet would ignore. */
  private void checkApplies() {
    boolean trace = workload.startsWith("trace:");
    String steady =
        trace ? "a generated workload, not a trace, with --model steady" : "--model steady";
    for (String option : STEADY_OPTIONS) {
      refuseUnless(!trace && model == Model.steady, option, steady);
    }
    String seed = trace ? "a generated workload, not a trace, with --model seed" : "--model seed";
    for (String option : new String[] {"--free-prob", "--threads"}) {
      refuseUnless(!trace && model == Model.seed, option, seed);
    }
    for (String option : new String[] {"--model", "--keys", "--ops", "--skew"}) {
      refuseUnless(!trace, option, "a generated workload; a trace brings its own");
    }
    String name = workload.strip();
    refuseUnless(name.equals("zipf") || name.equals("phased"), "--skew", "-w zipf or phased");
    refuseUnless(name.equals("hotspot"), "--hot-keys", "-w hotspot");
    refuseUnless(name.equals("hotspot"), "--hot-prob", "-w hotspot");
    refuseUnless(name.equals("phased"), "--phases", "-w phased");
    refuseUnless(hosts > 1, "--routing", "--hosts N with N > 1");
    refuseUnless(
        hosts > 1 && routing == Router.Kind.BOUNDED_HASH,
        "--balance-factor",
        "--hosts N with N > 1 and --routing bounded-hash");
    for (String option :
        new String[] {"--time-column", "--key-column", "--duration-column", "--resident-column"}) {
      refuseUnless(trace, option, "-w trace:FILE with a request log");
    }
    for (String option :
        new String[] {"--cost-hit", "--cost-cold", "--cost-evict", "--cost-page-fault"}) {
      refuseUnless(costsFile == null, option, "no --costs file, whose figures replace it");
    }
  }

  private StepModel stepModel() {
    switch (model) {
      case seed -> {
        return new StepModel.Seed(freeProbability);
      }
      case steady -> {
        StepModel.Arrivals kind = arrivals;
        long totalSlots = (long) slots * hosts;
        double load = parseConcurrency(concurrency, (long) loadSlots * hosts);
        if (kind == StepModel.Arrivals.FIXED && load > 4.0 * totalSlots) {
          throw new BadInputException(
              "--concurrency: "
                  + concurrency
                  + " (expected: at most 4 x the "
                  + totalSlots
                  + " slots with fixed arrivals)");
        }
        long warm;
        if (warmup.strip().equals("auto")) {
          warm = ops / 10;
        } else {
          try {
            warm = new CountConverter().convert(warmup);
          } catch (TypeConversionException e) {
            throw new BadInputException(
                "--warmup: '" + warmup + "' (expected: auto or a count such as 100k)");
          }
        }
        return new StepModel.Steady(kind, load, ServiceTime.parse(service), warm, !coldStart);
      }
    }
    throw new IllegalStateException("model " + model);
  }

  private static double parseConcurrency(String text, long totalSlots) {
    String s = text.strip();
    try {
      double value =
          s.endsWith("%")
              ? Double.parseDouble(s.substring(0, s.length() - 1)) / 100 * totalSlots
              : Double.parseDouble(s);
      if (value > 0 && value <= 1e9) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadInputException(
        "--concurrency: '"
            + text
            + "' (expected: a number > 0, or a share of the slots such as 70%)");
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
