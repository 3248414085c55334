package dev.slotpool.cli.bench;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.cli.input.BadInputException;
import java.util.Locale;

/**
 * What {@code slotpool snapshot} checks of a module before running its init, and the pool it runs
 * the init in: one sized for the module, so that any module Chicory instantiates fits (a slot per
 * memory, each as large as the memory may grow). Stateless.
 */
public final class SnapshotGuards {
  /** The most memories a module may define (the multi-memory proposal allows many). */
  public static final int MAX_MEMORIES = 16;

  /** A 32-bit memory's largest size, 65,536 pages: the slot size of a memory without maximum. */
  static final long MAX_32_BIT_MEMORY = 65_536L * 65_536L;

  private static final long PAGE = 65_536;

  private SnapshotGuards() {}

  /**
   * Checks that {@code module} exports {@code init} as a function defined in it that takes no
   * arguments.
   *
   * @param input the module's file, for messages
   * @throws BadInputException if not
   */
  public static void checkInit(WasmModule module, String input, String init) {
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      var e = exports.getExport(i);
      if (!e.name().equals(init)) {
        continue;
      }
      if (e.exportType() != ExternalType.FUNCTION) {
        throw new BadInputException(
            "--init: " + init + " is a " + e.exportType() + " export (expected: a function)");
      }
      int index = e.index() - module.importSection().count(ExternalType.FUNCTION);
      if (index < 0) {
        throw new BadInputException(
            "--init "
                + init
                + ": re-exports an import, which is not available during a snapshot (expected: a"
                + " function defined in the module)");
      }
      FunctionType type =
          module.typeSection().getType(module.functionSection().getFunctionType(index));
      if (!type.params().isEmpty()) {
        throw new BadInputException(
            "--init "
                + init
                + ": takes "
                + type.params().size()
                + " argument(s) ("
                + String.join(
                    ", ",
                    type.params().stream().map(t -> t.toString().toLowerCase(Locale.ROOT)).toList())
                + ") (expected: a function without parameters)");
      }
      return;
    }
    throw new BadInputException("--init: " + input + " exports no function named " + init);
  }

  /**
   * A one-instance pool sized for {@code module}: a slot per memory it defines, each as large as
   * its largest memory's declared maximum (4 GiB if it declares none).
   *
   * @param input the module's file, for messages
   * @throws BadInputException if it defines more than {@link #MAX_MEMORIES} memories
   */
  public static WasmInstancePool.Builder pool(WasmModule module, String input) {
    var section = module.memorySection();
    int count = section.isPresent() ? section.get().memoryCount() : 0;
    if (count > MAX_MEMORIES) {
      throw new BadInputException(
          input + ": defines " + count + " memories (expected: at most " + MAX_MEMORIES + ")");
    }
    long largest = PAGE;
    for (int i = 0; i < count; i++) {
      MemoryLimits limits = section.get().getMemory(i).limits();
      long max =
          limits.maximumPages() >= limits.initialPages()
              ? Math.min(limits.maximumPages() * PAGE, MAX_32_BIT_MEMORY)
              : MAX_32_BIT_MEMORY;
      largest = Math.max(largest, Math.max(max, limits.initialPages() * PAGE));
    }
    return WasmInstancePool.builder()
        .slots(Math.max(1, count))
        .maxMemoryBytes(Math.min(largest, MAX_32_BIT_MEMORY));
  }
}
