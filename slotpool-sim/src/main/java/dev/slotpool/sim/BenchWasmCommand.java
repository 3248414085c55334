package dev.slotpool.sim;

import dev.slotpool.sim.internal.BadInputException;
import dev.slotpool.sim.internal.WasmBench;
import java.io.IOException;
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

  @Mixin BenchOptions bench;

  @Override
  public Integer call() {
    byte[] wasm;
    try {
      wasm = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such file");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")");
    }
    WasmBench wasmBench = WasmBench.of(file.toString(), wasm, export, args);
    String once = wasmBench.tryOnce();
    Duration[] times = bench.durations();
    List<String[]> rows = wasmBench.measureAll(times[0], times[1]);
    bench.print(spec.commandLine().getOut(), file + ": " + once, rows);
    return 0;
  }
}
