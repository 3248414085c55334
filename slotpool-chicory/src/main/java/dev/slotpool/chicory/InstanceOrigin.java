package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.slotpool.chicory.internal.MemoryPlan;

/**
 * Where a prepared module's instances come from: a module (its plan) or a snapshot. One use of it
 * is held while an instantiation leases and builds, as {@link WasmInstancePool} and {@link
 * WasmSnapshot} hold theirs, so that the images it leases from stay open meanwhile.
 */
interface InstanceOrigin {
  /**
   * Takes a use.
   *
   * @throws IllegalStateException if the pool or the snapshot is closed
   */
  Use acquire();

  /** One use of an origin; {@link #close()} gives it back. */
  interface Use extends AutoCloseable {
    /**
     * What a parked instance must have been built from to serve this use: the same module plan, or
     * the same snapshot.
     */
    Object identity();

    /** Whether the plan or snapshot has been retired (purged, closed) since it was acquired. */
    boolean isRetired();

    /** The plan of the one memory. */
    MemoryPlan memory();

    /** The limits the memory starts with. */
    MemoryLimits limits();

    /** Whether the memory's lease holds the plan's image. */
    boolean imageMapped();

    /** What an instance runs once its slot is back in the pool. */
    Runnable releasedHook();

    /**
     * A builder for a new instance, with everything but the imports, the machine, the memory and
     * the start flag set (the module, and for a snapshot its globals, tables and initialisation);
     * tables must be {@link dev.slotpool.chicory.internal.TrackedTable}s.
     */
    Instance.Builder builder();

    /** Completes a new instance after the build (a snapshot writes its captured tables). */
    void restore(Instance instance);

    @Override
    void close();
  }
}
