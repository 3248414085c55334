package dev.slotpool.chicory.internal;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemorySection;

/**
 * The per-module half of pooled instantiation, computed once per parsed module: one {@link
 * MemoryPlan} for each memory the module defines (imported memories belong to someone else).
 *
 * <p>Lifecycle: a plan is live until {@link #retire() retired} (its module purged or its pool
 * closed); each instantiation holds a {@linkplain #tryAcquire() use} of it while it allocates with
 * the images, and the images are closed when the plan is retired and its last use is {@linkplain
 * #release() released}, so that a purge never closes an image under an instantiation. A retired
 * plan cannot be acquired again. Instances do not hold uses once built: the slots they lease hold
 * the image themselves (the memory layer counts those holds).
 *
 * <p>Thread-safe.
 */
/*
 * Implementation notes
 *
 * `uses` is a UseCount, the same counting a snapshot's images have: the live-plan reference plus
 * one per in-flight instantiation, closing the images exactly once. Its retired flag tells a
 * closing instance that its slot's affinity must be stripped.
 */
public final class ModulePlan implements AutoCloseable {
  private final MemoryPlan[] memories;
  private final UseCount uses;

  private ModulePlan(MemoryPlan[] memories) {
    this.memories = memories;
    this.uses = new UseCount(this::closeImages);
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

  /**
   * Takes a use of the plan for one instantiation.
   *
   * @return false if the plan is retired (plan the module anew)
   */
  public boolean tryAcquire() {
    return uses.tryAcquire();
  }

  /** Gives back a use taken by {@link #tryAcquire()}; the last use of a retired plan closes it. */
  public void release() {
    uses.release();
  }

  /**
   * Marks the plan retired: no new use can be taken, and the images close with the last in-flight
   * use (now if there is none). Idempotent.
   */
  public void retire() {
    uses.retire();
  }

  /** Whether {@link #retire()} has been called. */
  public boolean isRetired() {
    return uses.isRetired();
  }

  /** Whether the images are closed: retired, and no instantiation uses the plan any more. */
  public boolean isClosed() {
    return uses.isClosed();
  }

  /** Closes the images at once, for a plan that was never shared (a racing duplicate). */
  @Override
  public void close() {
    retire();
  }

  private void closeImages() {
    for (MemoryPlan p : memories) {
      p.close();
    }
  }
}
