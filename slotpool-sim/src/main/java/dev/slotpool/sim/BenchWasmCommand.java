package dev.slotpool.sim;

import dev.slotpool.sim.internal.BadInputException;
import dev.slotpool.sim.internal.CostModel;
import dev.slotpool.sim.internal.CostsFile;
import dev.slotpool.sim.internal.Guards;
import dev.slotpool.sim.internal.Provenance;
import dev.slotpool.sim.internal.WasmBench;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code slotpool bench wasm FILE.wasm}: Chicory's default instantiation against the pool's. */
@Command(
    name = "wasm",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Times instantiate + call + drop of a WebAssembly module in Chicory: wasm/default"
          + " (Chicory's own memory, filled from the data segments each time), wasm/pooled-cold"
          + " (a WasmInstancePool slot that maps the module's image afresh) and wasm/pooled-warm"
          + " (the module's warm slot: nothing to map or copy), and wasm/pooled-warm-confined"
          + " (the same with thread-confined leases). The module must not import"
          + " anything. Linux only. Figures from a busy machine are noisy.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  slotpool bench wasm app.wasm",
      "  slotpool bench wasm app.wasm --invoke add 2 3 --format csv"
    })
final class BenchWasmCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE.wasm", description = "The module to instantiate.")
  Path file;

  @Option(
      names = "--invoke",
      paramLabel = "EXPORT",
      description = "Call this exported function after each instantiation, with ARGS.")
  String export;

  @Parameters(
      index = "1..*",
      paramLabel = "ARGS",
      description = "Arguments of --invoke: integers for i32/i64, decimals for f32/f64.")
  List<String> args = new ArrayList<>();

  @Option(
      names = "--costs-out",
      paramLabel = "FILE",
      description =
          "Also write the measured costs for simulate/tune --costs: hit_us from"
              + " wasm/pooled-warm-confined, cold_us and evict_us from wasm/pooled-cold.")
  Path costsOut;

  @Mixin BenchOptions bench;

  @Override
  public Integer call() throws IOException {
    byte[] wasm;
    try {
      wasm = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such file");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")");
    }
    if (costsOut != null) {
      Guards.checkOutputFile("--costs-out", costsOut);
    }
    WasmBench wasmBench = WasmBench.of(file.toString(), wasm, export, args);
    String once = wasmBench.tryOnce();
    Duration[] times = bench.durations();
    List<String[]> rows = wasmBench.measureAll(times[0], times[1]);
    bench.print(spec.commandLine().getOut(), file + ": " + once, rows);
    if (costsOut != null) {
      writeCosts(rows, wasmBench.initialMemoryBytes());
    }
    return 0;
  }

  private void writeCosts(List<String[]> rows, long workingSet) throws IOException {
    double hit = micros(rows, "wasm/pooled-warm-confined");
    double cold = micros(rows, "wasm/pooled-cold");
    CostModel costs = new CostModel(hit, cold, cold, CostModel.DEFAULT.pageFault(), 4096, true);
    Provenance provenance = Slotpool.provenance(spec, 0);
    List<String> comments = new ArrayList<>(provenance.lines());
    comments.add(
        "hit_us: wasm/pooled-warm-confined; cold_us, evict_us: wasm/pooled-cold (end to end);"
            + " page_fault_us: not measured, the default");
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
