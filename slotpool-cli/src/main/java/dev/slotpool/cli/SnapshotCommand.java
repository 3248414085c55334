package dev.slotpool.cli;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Import;
import dev.slotpool.chicory.SnapshotWriter;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import dev.slotpool.cli.bench.GuestRun;
import dev.slotpool.cli.bench.SnapshotGuards;
import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.InputFiles;
import dev.slotpool.cli.input.OutputFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code slotpool snapshot}: runs a module's init function once and writes the initialised state as
 * a new module (Wizer's job, in-process on Chicory).
 */
@Command(
    name = "snapshot",
    header = "Run a module's init function once and write the initialised module.",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Instantiates IN.wasm with Chicory, runs its start function and then the exported --init"
          + " function, and writes OUT.wasm: the same code whose memories, mutable globals and"
          + " tables start as the init left them (data segments hold the memory's non-zero"
          + " runs), without the start section and without the --init export. Any engine"
          + " instantiates OUT.wasm without running the init again.",
      "Imported functions (WASI included) are not available during the init: a call traps,"
          + " as with Wizer, since host state (files, clocks) would not be in the output."
          + " Refused with a message: imported memories, tables and mutable globals, shared"
          + " memories, and state the binary format cannot express.",
      ""
    },
    footer = {
      "",
      "Example:",
      "  slotpool snapshot reactor.wasm --init _initialize -o reactor.init.wasm",
      "  slotpool snapshot plugin.wasm --init wizer.initialize -o plugin.init.wasm"
    })
final class SnapshotCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IN.wasm", description = "The module to initialise.")
  Path input;

  @Option(
      names = "--init",
      paramLabel = "FUNC",
      defaultValue = "wizer.initialize",
      description = "The exported function to run, with no arguments. Default: ${DEFAULT-VALUE}.")
  String init;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "OUT.wasm",
      required = true,
      description = "Where to write the initialised module.")
  Path output;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description =
          "Stop the start function and the init if they have not returned after this long."
              + " Default: ${DEFAULT-VALUE}.")
  double timeout;

  @Override
  public Integer call() {
    Duration limit = GuestRun.limit("--timeout", timeout);
    byte[] bytes = InputFiles.readAll("IN.wasm", input, InputFiles.MAX_MODULE_BYTES);
    OutputFiles.checkFile("--output", output);
    WasmModule module;
    try {
      module = Parser.parse(bytes);
    } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new BadInputException(input + " is not a valid module: " + e.getMessage());
    }
    SnapshotGuards.checkInit(module, input.toString(), init);
    WasmInstancePool.Builder sized = SnapshotGuards.pool(module, input.toString());
    ImportValues imports = trappingImports(module);
    byte[] written =
        GuestRun.call(
            "--init " + init,
            limit,
            "--timeout",
            () -> {
              try (var pool = sized.build();
                  WasmSnapshot snapshot =
                      pool.snapshot(
                          module, b -> b.withImportValues(imports), i -> i.export(init).apply())) {
                return SnapshotWriter.toBytes(snapshot, bytes, init);
              } catch (UnsupportedOperationException | IllegalArgumentException e) {
                throw new BadInputException(oneLine(e.getMessage()));
              } catch (ChicoryException e) {
                throw new BadInputException(
                    "the init of " + input + " failed: " + oneLine(e.getMessage()));
              }
            });
    try {
      Files.write(output, written);
    } catch (IOException e) {
      throw new BadInputException(
          "--output: cannot write " + output + " (" + e.getMessage() + ") (expected: room for it)");
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "%s: ran %s, wrote %s (%,d bytes; input %,d bytes)%n",
        input, init, output, written.length, bytes.length);
    out.flush();
    return 0;
  }

  private static String oneLine(String message) {
    return String.valueOf(message).replaceAll("\\s*\\R\\s*", " ");
  }

  /** A host function for every imported function, trapping with its name if the init calls it. */
  private static ImportValues trappingImports(WasmModule module) {
    var functions = new ArrayList<HostFunction>();
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      Import imp = imports.getImport(i);
      String what = imp.module() + "." + imp.name();
      if (imp.importType() == ExternalType.FUNCTION) {
        functions.add(
            new HostFunction(
                imp.module(),
                imp.name(),
                module.typeSection().getType(((FunctionImport) imp).typeIndex()),
                (instance, args) -> {
                  throw new UnsupportedOperationException(
                      "the init called the imported function "
                          + what
                          + ", which is not available during a snapshot");
                }));
      } else {
        throw new BadInputException(
            "the module imports the "
                + imp.importType().name().toLowerCase(Locale.ROOT)
                + " "
                + what
                + ", which a snapshot cannot provide");
      }
    }
    return ImportValues.builder().addFunction(functions.toArray(HostFunction[]::new)).build();
  }
}
