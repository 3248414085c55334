package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.MutabilityType;
import dev.slotpool.chicory.RecycleStats.Reason;
import dev.slotpool.chicory.internal.GuardedMachine;
import dev.slotpool.chicory.internal.InstanceMemories;
import dev.slotpool.chicory.internal.PooledLinearMemory;
import dev.slotpool.chicory.internal.TrackedTable;
import dev.slotpool.memory.PooledMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * A Chicory instance of a {@link PreparedModule} with what it takes to give it to the next request:
 * the state the guest can observe, as the instance had it when it was built (the module's initial
 * state), and the parts that serve one request at a time (the memory's lease, the machine's call
 * counting, the imports' binding).
 *
 * <p>Lifecycle: built with its first request; at each release, {@link #park} resets it on the
 * releasing thread while no call runs, and parks it with its slot in the pool, before the slot is
 * released; the next lessee of the slot takes it ({@link WasmInstancePool#takeParked}) and {@link
 * #reuse}s it. Only one party holds it at a time: the request, then the slot's parking place, then
 * the slot's next lessee; each hand-over happens-before the next through the memory pool's lock.
 */
final class RecycledInstance<C> {
  private final PreparedModule<C> prepared;
  private final Object identity; // the module plan or the snapshot it was built from
  private final InstanceOrigin.Use origin; // the use it was built under (closed since)
  private final Instance instance;
  private final GuardedMachine machine;
  private final PooledLinearMemory memory;
  private final Linker.Binding<C> binding;
  private final DataSegment[] segments; // the instance's own array, which data.drop changes
  private final DataSegment[] initialSegments;
  private final Element[] initialElements;
  private final GlobalInstance[] mutableGlobals;
  private final long[] initialLow;
  private final long[] initialHigh;
  private final TrackedTable[] tables;

  private RecycledInstance(
      PreparedModule<C> prepared,
      InstanceOrigin.Use origin,
      Instance instance,
      PooledLinearMemory memory,
      Linker.Binding<C> binding) {
    this.prepared = prepared;
    this.origin = origin;
    this.identity = origin.identity();
    this.instance = instance;
    this.machine = (GuardedMachine) instance.getMachine();
    this.memory = memory;
    this.binding = binding;
    this.segments = memory.dataSegments();
    this.initialSegments = segments == null ? null : segments.clone();
    this.initialElements = new Element[instance.elementCount()];
    for (int i = 0; i < initialElements.length; i++) {
      initialElements[i] = instance.element(i);
    }
    List<GlobalInstance> mutable = new ArrayList<>();
    for (int i = instance.imports().globalCount(); i < instance.globalCount(); i++) {
      GlobalInstance global = instance.global(i);
      if (global.getMutabilityType() == MutabilityType.Var) {
        mutable.add(global);
      }
    }
    this.mutableGlobals = mutable.toArray(new GlobalInstance[0]);
    this.initialLow = new long[mutableGlobals.length];
    this.initialHigh = new long[mutableGlobals.length];
    for (int i = 0; i < mutableGlobals.length; i++) {
      initialLow[i] = mutableGlobals[i].getValueLow();
      initialHigh[i] = mutableGlobals[i].getValueHigh();
    }
    int imported = instance.imports().tableCount();
    this.tables = new TrackedTable[instance.tableCount() - imported];
    for (int i = 0; i < tables.length; i++) {
      tables[i] = (TrackedTable) instance.table(imported + i);
      tables[i].capture();
    }
  }

  /** Records the initial state of {@code instance}, built just now and never called. */
  static <C> RecycledInstance<C> capture(
      PreparedModule<C> prepared,
      InstanceOrigin.Use origin,
      Instance instance,
      PooledLinearMemory memory,
      Linker.Binding<C> binding) {
    return new RecycledInstance<>(prepared, origin, instance, memory, binding);
  }

  /** Whether this instance was built by {@code module}. */
  boolean preparedBy(PreparedModule<?> module) {
    return prepared == module;
  }

  /** Whether this instance may serve {@code module}'s instantiation from {@code current}. */
  boolean servedBy(PreparedModule<?> module, Object current) {
    return prepared == module && identity == current;
  }

  /**
   * Serves the next request on {@code lease}, the slot this instance was parked with, leased with
   * the module's key and image: the memory starts over on it, and the machine and imports serve the
   * request.
   */
  PooledInstance reuse(PooledMemory lease, C context) {
    var memories = new InstanceMemories(origin.releasedHook(), prepared.pool().counters());
    memory.recycle(lease, memories);
    try {
      memory.initialize(instance, segments, 0); // copies what the image does not hold
      machine.recycle(memories);
      binding.begin(context);
    } catch (RuntimeException | Error e) {
      memories.close(); // the lease goes back; this instance is not parked again
      throw e;
    }
    memories.beforeRelease(this::park);
    return new PooledInstance(instance, memories, true);
  }

  /**
   * At release, while no call runs and before the slot goes back: resets the instance and parks it
   * with its slot, unless it cannot be reused.
   */
  void park(boolean cancelled) {
    binding.end();
    Reason dropped = resetState(cancelled);
    if (dropped != null) {
      prepared.count(dropped);
      drop();
      return;
    }
    prepared.pool().park(memory.lease().slot(), this);
  }

  /** Closes what the instance holds outside the pool (WASI's open descriptors). */
  void drop() {
    binding.close();
  }

  /** Restores the initial state; returns why the instance cannot be reused instead, or null. */
  private Reason resetState(boolean cancelled) {
    if (cancelled) {
      return Reason.CANCELLED;
    }
    if (origin.isRetired() || prepared.pool().isClosed()) {
      return Reason.PURGED;
    }
    for (TrackedTable table : tables) {
      if (!table.restore()) {
        return Reason.TABLE_GROWN;
      }
    }
    for (int i = 0; i < mutableGlobals.length; i++) {
      mutableGlobals[i].setValueLow(initialLow[i]);
      mutableGlobals[i].setValueHigh(initialHigh[i]);
    }
    for (int i = 0; i < initialElements.length; i++) {
      if (instance.element(i) != initialElements[i]) {
        instance.setElement(i, initialElements[i]);
      }
    }
    if (segments != null) {
      System.arraycopy(initialSegments, 0, segments, 0, segments.length);
    }
    return null;
  }
}
