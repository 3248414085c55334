package dev.slotpool.sim;

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
import dev.slotpool.sim.internal.BadInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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

  @Override
  public Integer call() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(input);
    } catch (IOException e) {
      throw new BadInputException("cannot read " + input + ": " + e.getMessage());
    }
    WasmModule module;
    try {
      module = Parser.parse(bytes);
    } catch (ChicoryException e) {
      throw new BadInputException(input + " is not a valid module: " + e.getMessage());
    }
    checkInit(module);
    ImportValues imports = trappingImports(module);
    byte[] written;
    try (var pool = WasmInstancePool.builder().slots(1).build();
        WasmSnapshot snapshot =
            pool.snapshot(module, b -> b.withImportValues(imports), i -> i.export(init).apply())) {
      written = SnapshotWriter.toBytes(snapshot, bytes, init);
    } catch (UnsupportedOperationException e) {
      throw new BadInputException(e.getMessage());
    } catch (ChicoryException e) {
      throw new BadInputException("the init of " + input + " failed: " + e.getMessage());
    }
    Files.write(output, written);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "%s: ran %s, wrote %s (%,d bytes; input %,d bytes)%n",
        input, init, output, written.length, bytes.length);
    out.flush();
    return 0;
  }

  private void checkInit(WasmModule module) {
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      var e = exports.getExport(i);
      if (e.name().equals(init)) {
        if (e.exportType() != ExternalType.FUNCTION) {
          throw new BadInputException(
              "--init: " + init + " is a " + e.exportType() + " export (expected: a function)");
        }
        return;
      }
    }
    throw new BadInputException("--init: " + input + " exports no function named " + init);
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
