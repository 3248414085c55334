package dev.slotpool.cli;

import dev.slotpool.cli.bench.GuestRun;
import dev.slotpool.cli.bench.HugeMethods;
import dev.slotpool.cli.bench.OutputMismatchException;
import dev.slotpool.cli.bench.PageFaultBench;
import dev.slotpool.cli.bench.Recycling;
import dev.slotpool.cli.bench.WasmBenches;
import dev.slotpool.cli.bench.WasmRequest;
import dev.slotpool.cli.bench.WasmRequestBench;
import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.InputFiles;
import dev.slotpool.cli.input.OutputFiles;
import dev.slotpool.cli.model.CostModel;
import dev.slotpool.cli.report.Provenance;
import dev.slotpool.cli.report.Reports;
import dev.slotpool.cli.trace.CostsFile;
import dev.slotpool.memory.PoolStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code slotpool bench wasm FILE.wasm}: one request (instantiate + entry point + close) of a
 * user's module, on the runtime's own memory and on pools.
 */
@Command(
    name = "wasm",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Times one request of a WebAssembly module: instantiate, run its entry point (--invoke"
          + " EXPORT, or _start of a WASI program with --wasi), close. Cases: wasm/plain (the"
          + " runtime's own memory, filled from the data segments every time), wasm/pool-default"
          + " (WasmInstancePool.builder().build(): the module's warm slot), wasm/prepared"
          + " (pool.prepare(module, Linker.wasi()): the warm slot and the instance parked with it,"
          + " reset for the request; a line after the table says how many instantiations recycled,"
          + " or why the module's cannot), wasm/pool-fixed-keep-resident (32 MiB kept resident per"
          + " slot: Wasmtime's fixed knob) and wasm/pool-evict (a one-slot default pool taken by"
          + " two copies of the module in turn: every request evicts the other). Every request's"
          + " output (stdout, stderr, exit code, result) must equal the first plain request's; the"
          + " command fails if a pool changes it. Linux only. Figures from a busy machine are"
          + " noisy: compare the cases of one run. With --engine compiler, a note after the table"
          + " names the module's functions too big for HotSpot to compile, which run in the JVM's"
          + " bytecode interpreter in every case.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  slotpool bench wasm app.wasm --invoke add 2 3",
      "  slotpool bench wasm greet.wasm --wasi --arg Ada --stdin names.txt --engine compiler",
      "  slotpool bench wasm greet.wasm --wasi --runtime endive --costs-out costs.csv"
    })
final class BenchWasmCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE.wasm", description = "The module to run.")
  Path file;

  @Option(
      names = "--invoke",
      paramLabel = "EXPORT",
      description =
          "Call this exported function after each instantiation, with ARGS (with --wasi: instead"
              + " of _start).")
  String export;

  @Parameters(
      index = "1..*",
      paramLabel = "ARGS",
      description = "Arguments of --invoke: integers for i32/i64, decimals for f32/f64.")
  List<String> args = new ArrayList<>();

  @Option(
      names = "--wasi",
      description =
          "Give the module WASI preview 1 (a fresh context per request, output captured) and run"
              + " _start.")
  boolean wasi;

  @Option(
      names = "--arg",
      paramLabel = "ARG",
      description = "--wasi: a program argument after the program name (repeatable).")
  List<String> wasiArgs = new ArrayList<>();

  @Option(
      names = "--stdin",
      paramLabel = "FILE",
      description = "--wasi: the program's standard input (default: empty).")
  Path stdin;

  @Option(
      names = "--env",
      paramLabel = "NAME=VALUE",
      description = "--wasi: an environment variable (repeatable).")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(
      names = "--engine",
      paramLabel = "ENGINE",
      defaultValue = "interpreter",
      description =
          "interpreter, or compiler (the runtime compiler: the module translated to JVM"
              + " bytecode once, before timing). Default: ${DEFAULT-VALUE}.")
  WasmBenches.Engine engine;

  @Option(
      names = "--runtime",
      paramLabel = "RUNTIME",
      defaultValue = "chicory",
      description =
          "chicory (slotpool-chicory) or endive (slotpool-endive; interpreter only). Default:"
              + " ${DEFAULT-VALUE}.")
  WasmBenches.Runtime runtime;

  @Option(
      names = "--costs-out",
      paramLabel = "FILE",
      description =
          "Also write the measured costs for simulate/tune --costs: hit_us from"
              + " wasm/pool-default, cold_us and evict_us from wasm/pool-evict, page_fault_us"
              + " measured on a pool slot (a written page dropped and faulted back in, against"
              + " one kept resident), bytes_per_slot from what the default pool's resets restored"
              + " per request.")
  Path costsOut;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description =
          "Stop a request that has not returned after this long (the first one; the measured"
              + " ones are stopped once every case has had its time and this long more)."
              + " Default: ${DEFAULT-VALUE}.")
  double timeout;

  @Mixin BenchOptions bench;

  @Override
  public Integer call() throws IOException {
    Duration limit = GuestRun.limit("--timeout", timeout);
    byte[] wasm = InputFiles.readAll("FILE.wasm", file, InputFiles.MAX_MODULE_BYTES);
    if (!wasi && (!wasiArgs.isEmpty() || stdin != null || !env.isEmpty())) {
      throw new BadInputException("--arg, --stdin and --env need --wasi");
    }
    byte[] input =
        stdin == null
            ? new byte[0]
            : InputFiles.readAll("--stdin", stdin, InputFiles.MAX_STDIN_BYTES);
    if (costsOut != null) {
      OutputFiles.checkFile("--costs-out", costsOut);
    }
    Duration[] times = bench.durations(BenchOptions.WASM_WARMUP);
    List<String> argv = new ArrayList<>();
    argv.add(file.getFileName().toString());
    argv.addAll(wasiArgs);
    WasmRequest request =
        new WasmRequest(
            file.toString(),
            wasm,
            export,
            args,
            wasi,
            argv,
            input,
            env,
            engine == WasmBenches.Engine.COMPILER);
    WasmRequestBench wasmBench = WasmBenches.create(runtime, request);
    List<HugeMethods.HugeFunction> huge = WasmBenches.hugeFunctions(runtime, request);
    PrintWriter err = spec.commandLine().getErr();
    try {
      String entry = file + ": " + (export == null ? "_start" : export);
      String once = GuestRun.call(entry, limit, "--timeout", wasmBench::tryOnce);
      // Five cases, each measured for its warmup and time, and one request may overrun each.
      Duration all = times[0].plus(times[1]).plus(limit).multipliedBy(5).plusSeconds(30);
      List<String[]> rows =
          GuestRun.call(
              entry + " (measured)",
              all,
              "--timeout",
              () -> wasmBench.measureAll(times[0], times[1]));
      String heading =
          file + " (" + runtime.label() + ", " + engine.label() + "): " + once + "; output checked";
      bench.print(spec.commandLine().getOut(), heading, rows, WasmRequestBench.PLAIN);
      // Notes go after the table; on stderr when stdout is CSV for a program to read.
      PrintWriter notes = bench.csv() ? err : spec.commandLine().getOut();
      notes.println();
      notes.println(prepared(rows, wasmBench.preparedRecycling()));
      String note = HugeMethods.note(huge);
      if (note != null) {
        notes.println();
        notes.println(note);
      }
      notes.flush();
      if (costsOut != null) {
        double pageFault = new PageFaultBench().microsPerPage(times[0], times[1]);
        writeCosts(rows, pageFault, wasmBench);
      }
    } catch (OutputMismatchException e) {
      err.println(spec.qualifiedName() + ": " + e.getMessage());
      err.flush();
      return 1;
    }
    return 0;
  }

  /**
   * What the prepared case's instantiations did: how many recycled their instance, or why the
   * module's instances are never recycled (its case not timed).
   */
  private static String prepared(List<String[]> rows, Recycling recycling) {
    boolean timed =
        rows.stream().anyMatch(r -> r[0].equals(WasmRequestBench.PREPARED) && !r[1].isEmpty());
    return WasmRequestBench.PREPARED
        + ": "
        + (timed
            ? recycling.summary() + ", warm-up included"
            : recycling.whyNot() + "; its request was run once and checked, not timed");
  }

  private void writeCosts(List<String[]> rows, double pageFault, WasmRequestBench wasmBench)
      throws IOException {
    double hit = micros(rows, WasmRequestBench.POOL_DEFAULT);
    double evict = micros(rows, WasmRequestBench.POOL_EVICT);
    CostModel costs = new CostModel(hit, evict, evict, pageFault, PageFaultBench.PAGE_SIZE, true);
    PoolStats stats = wasmBench.defaultPoolStats();
    long allocations = stats.affinityHits() + stats.coldAllocations() + stats.evictions();
    long restored = stats.restoredBytes() + stats.decommitBytes();
    long workingSet = allocations == 0 || restored == 0 ? -1 : restored / allocations;
    String workingSource = "bytes_per_slot: bytes the default pool's resets restored per request";
    if (workingSet < 0) {
      workingSet = wasmBench.initialMemoryBytes();
      workingSource = "bytes_per_slot: the module's initial memory (the pool restored nothing)";
    }
    Provenance provenance = Slotpool.provenance(spec, 0);
    List<String> comments = new ArrayList<>(provenance.lines());
    comments.add(
        "runtime "
            + runtime.label()
            + ", engine "
            + engine.label()
            + "; hit_us: "
            + WasmRequestBench.POOL_DEFAULT
            + "; cold_us, evict_us: "
            + WasmRequestBench.POOL_EVICT
            + " (end to end, faults included)");
    comments.add(
        "page_fault_us: a written page dropped (MADV_DONTNEED) and faulted back in, less one kept"
            + " resident and zero-filled, per "
            + PageFaultBench.PAGE_SIZE
            + "-byte page ("
            + Reports.fixed(pageFault, 3)
            + " us)");
    comments.add(workingSource);
    try (PrintWriter writer = new PrintWriter(Files.newBufferedWriter(costsOut))) {
      CostsFile.write(writer, comments, costs, workingSet);
    }
    spec.commandLine().getErr().println("wrote " + costsOut);
  }

  private static double micros(List<String[]> rows, String name) {
    for (String[] row : rows) {
      if (row[0].equals(name)) {
        return Double.parseDouble(row[1]) / 1000;
      }
    }
    throw new IllegalStateException("no case " + name);
  }
}
