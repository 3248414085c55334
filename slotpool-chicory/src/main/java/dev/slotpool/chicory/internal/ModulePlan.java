package dev.slotpool.chicory.internal;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemorySection;
import java.util.concurrent.atomic.AtomicInteger;

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
 * `uses` counts the live-plan reference (1 until retire()) plus one per in-flight instantiation;
 * tryAcquire increments only a positive count, so once it reaches 0 (the images closed, exactly
 * once) it stays 0. `retired` makes retire() idempotent and tells a closing instance that its
 * slot's affinity must be stripped.
 */
public final class ModulePlan implements AutoCloseable {
  private final MemoryPlan[] memories;
  private final AtomicInteger uses = new AtomicInteger(1);
  private volatile boolean retired;

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

  /**
   * Takes a use of the plan for one instantiation.
   *
   * @return false if the plan is retired and its images closed (plan the module anew)
   */
  public boolean tryAcquire() {
    int n;
    do {
      n = uses.get();
      if (n == 0) {
        return false;
      }
    } while (!uses.compareAndSet(n, n + 1));
    return true;
  }

  /** Gives back a use taken by {@link #tryAcquire()}; the last use of a retired plan closes it. */
  public void release() {
    if (uses.decrementAndGet() == 0) {
      closeImages();
    }
  }

  /**
   * Marks the plan retired: no new use can be taken once the in-flight ones are released, and the
   * images close with the last of them (now if there is none). Idempotent.
   */
  public void retire() {
    synchronized (this) {
      if (retired) {
        return;
      }
      retired = true;
    }
    release();
  }

  /** Whether {@link #retire()} has been called. */
  public boolean isRetired() {
    return retired;
  }

  /** Whether the images are closed: retired, and no instantiation uses the plan any more. */
  public boolean isClosed() {
    return uses.get() == 0;
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
