package dev.slotpool.chicory.internal;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemorySection;

/**
 * The per-module half of pooled instantiation, computed once per parsed module: one {@link
 * MemoryPlan} for each memory the module defines (imported memories belong to someone else).
 *
 * <p>Immutable and thread-safe; {@link #close()} releases the images.
 */
public final class ModulePlan implements AutoCloseable {
  private final MemoryPlan[] memories;

  private ModulePlan(MemoryPlan[] memories) {
    this.memories = memories;
  }

  /**
   * Plans {@code module}'s memories; builds each image once (this copies the data segments once).
   */
  public static ModulePlan create(WasmModule module) {
    String name = "module@" + Integer.toHexString(System.identityHashCode(module));
    int imported = 0;
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      if (imports.getImport(i).importType() == ExternalType.MEMORY) {
        imported++;
      }
    }
    int defined = module.memorySection().map(MemorySection::memoryCount).orElse(0);
    DataSegment[] segments = module.dataSection().dataSegments();
    var plans = new MemoryPlan[defined];
    try {
      for (int i = 0; i < defined; i++) {
        var limits = module.memorySection().get().getMemory(i).limits();
        plans[i] = MemoryPlan.create(name, imported + i, limits, segments);
      }
    } catch (RuntimeException | Error e) {
      for (MemoryPlan p : plans) {
        if (p != null) {
          p.close();
        }
      }
      throw e;
    }
    return new ModulePlan(plans);
  }

  /** The number of memories the module defines. */
  public int memoryCount() {
    return memories.length;
  }

  /** The plan of the {@code i}-th defined memory (not counting imported ones). */
  public MemoryPlan memory(int i) {
    return memories[i];
  }

  @Override
  public void close() {
    for (MemoryPlan p : memories) {
      p.close();
    }
  }
}
