package dev.slotpool.cli.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import dev.slotpool.cli.input.BadInputException;
import java.util.List;
import java.util.Locale;

/**
 * Picks the {@link WasmRequestBench} of a runtime: {@link ChicoryWasmBench}, or {@code
 * EndiveWasmBench}, generated from it at build time. Stateless.
 */
public final class WasmBenches {
  private WasmBenches() {}

  /** The WebAssembly runtimes bench wasm can run. */
  public enum Runtime {
    /** Chicory ({@code com.dylibso.chicory}) with slotpool-chicory's pool. */
    CHICORY,
    /** Endive ({@code run.endive}), Chicory's fork, with slotpool-endive's pool. */
    ENDIVE;

    /** The label, so that the command line's enum conversion and help use it. */
    @Override
    public String toString() {
      return label();
    }

    /** The name on the command line. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How the runtime runs the module's code. */
  public enum Engine {
    /** The runtime's interpreter (its default). */
    INTERPRETER,
    /** The runtime compiler: the module's code translated to JVM bytecode once, before timing. */
    COMPILER;

    /** The label, so that the command line's enum conversion and help use it. */
    @Override
    public String toString() {
      return label();
    }

    /** The name on the command line. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The functions of {@code request}'s module that {@code runtime}'s compiler turns into JVM
   * methods too big for HotSpot to compile; empty for the interpreter (and for Endive, whose
   * compiler bench wasm does not run).
   */
  public static List<HugeMethods.HugeFunction> hugeFunctions(Runtime runtime, WasmRequest request) {
    return runtime == Runtime.CHICORY && request.compiler()
        ? HugeMethods.of(request.wasm())
        : List.of();
  }

  /**
   * The benchmark of {@code request} (whose {@code compiler} flag must match {@code engine}) on
   * {@code runtime}.
   *
   * @throws BadInputException if the module does not fit the request, or for Endive's compiler,
   *     which this build cannot run
   */
  public static WasmRequestBench create(Runtime runtime, WasmRequest request) {
    return switch (runtime) {
      case CHICORY ->
          ChicoryWasmBench.of(request, request.compiler() ? MachineFactoryCompiler::compile : null);
      case ENDIVE -> {
        if (request.compiler()) {
          throw new BadInputException(
              "--runtime endive --engine compiler: Endive's runtime compiler is published only at"
                  + " 1.0.0, which does not run with the Endive runtime this command is built with"
                  + " (expected: --engine interpreter with --runtime endive, or --runtime chicory"
                  + " --engine compiler)");
        }
        yield EndiveWasmBench.of(request, null);
      }
    };
  }
}
