package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveElement;
import com.dylibso.chicory.wasm.types.CustomSection;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.ElementSection;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.slotpool.chicory.internal.InstanceMemories;
import dev.slotpool.chicory.internal.MachineFactories;
import dev.slotpool.chicory.internal.MemoryPlan;
import dev.slotpool.chicory.internal.PooledLinearMemory;
import dev.slotpool.chicory.internal.SlotWait;
import dev.slotpool.chicory.internal.SnapshotState;
import dev.slotpool.chicory.internal.UseCount;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PooledMemory;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The state a module reached after its own initialisation, taken once by {@link
 * WasmInstancePool#snapshot(WasmModule, Consumer, Consumer)}, from which {@link
 * WasmInstancePool#instantiate(WasmSnapshot)} starts every later instance without running the start
 * function or the init again: what Wizer does offline for Wasmtime, in-process.
 *
 * <p>A snapshot holds every memory the module defines (a copy-on-write image of its bytes, its size
 * included), the values of its globals, the contents and sizes of its tables (function references
 * by index: a reference to an imported function is bound to whatever the new instance imports under
 * that index), and which passive data and element segments were dropped. It is its own affinity
 * key: a warm slot that last served this snapshot already holds its image, and its reset put back
 * only the pages the last request wrote, so a request costs what it writes. Two snapshots of one
 * module with different inits are different keys.
 *
 * <p><b>Host state is not in the snapshot</b>: WASI file descriptors, clocks, random seeds already
 * drawn, and any object a host function keeps. Each instantiation binds the imports its customizer
 * gives (by default the one the snapshot was taken with, so host objects captured by that
 * customizer are shared by every instance). As Wizer forbids WASI calls during init, an init that
 * opens files or reads the clock bakes what it saw into memory for every request.
 *
 * <p>Refused with {@link UnsupportedOperationException}: shared memories; imported memories, tables
 * and mutable globals (their state belongs to the host); globals and table entries that hold an
 * externref, a GC object or a function of another instance.
 *
 * <p>{@link SnapshotWriter} writes a snapshot as a new module that any engine instantiates without
 * running the init, as Wizer's output.
 *
 * <p>Thread-safe: any thread may instantiate from a snapshot at any time. {@link #close()} (or
 * closing the pool) makes later instantiations throw {@link IllegalStateException}; instances
 * already open keep working, and their slots come back without the snapshot's affinity.
 */
/*
 * Implementation notes
 *
 * instantiate() builds a Chicory Instance of `restoreModule` (the module itself, or a copy without
 * its start section, so that Instance.initialize cannot run it again, and with its active element
 * segments emptied, so that it evaluates no initialiser: for QuickJS thousands of table entries
 * a request would otherwise pay twice) with: a memory factory that
 * leases each defined memory with this snapshot's key and image at its captured size, in a FRESH
 * PooledLinearMemory whose plan counts every active segment as imaged (so initialize() writes
 * nothing); the state's GlobalFactory and TableFactory; start off. SnapshotState.restore() then
 * writes every captured table entry and drops the captured segments. An emptied active segment
 * behaves as the spec's dropped one (table.init of it traps unless its length is 0), which is what
 * an active segment is after instantiation. Cost beyond a warm module instantiation: one write per
 * table entry.
 *
 * Lifecycle, as ModulePlan's: `uses` counts the live snapshot plus each in-flight instantiation,
 * which holds a use from its closed check until its slots are leased (or given back on failure),
 * so that close() never closes an image under an allocation: the images close with the last use.
 * An instance holds no use (its slots hold the images). close() retires first and purges second,
 * and an instance's release hook purges if it finds the snapshot retired after its slots are
 * back: a slot leased by an instantiation racing close() is stripped by one of the two.
 */
public final class WasmSnapshot implements AutoCloseable {
  private final WasmInstancePool pool;
  private final MemoryPool memoryPool;
  private final WasmModule module;
  private final WasmModule restoreModule;
  private final Consumer<Instance.Builder> customizer;
  private final SnapshotState state;
  private final MemoryPlan[] plans;
  private final String name;
  private final UseCount uses;
  private final LongAdder instantiations = new LongAdder();

  private WasmSnapshot(
      WasmInstancePool pool,
      MemoryPool memoryPool,
      WasmModule module,
      Consumer<Instance.Builder> customizer,
      SnapshotState state) {
    this.pool = pool;
    this.memoryPool = memoryPool;
    this.module = module;
    this.restoreModule = forRestore(module);
    this.customizer = customizer;
    this.state = state;
    this.uses = new UseCount(state::close);
    this.name = "snapshot@" + Integer.toHexString(System.identityHashCode(this));
    var segments = module.dataSection().dataSegments();
    this.plans = new MemoryPlan[state.memoryCount()];
    for (int i = 0; i < plans.length; i++) {
      MemoryLimits declared = module.memorySection().get().getMemory(i).limits();
      plans[i] = MemoryPlan.ofSnapshot(name, i, declared, state.image(i), segments);
    }
  }

  /** Instantiates {@code module}, runs {@code init} on it, captures its state and closes it. */
  static WasmSnapshot take(
      WasmInstancePool pool,
      MemoryPool memoryPool,
      WasmModule module,
      Consumer<Instance.Builder> customizer,
      Consumer<Instance> init) {
    SnapshotState.checkModule(module);
    SnapshotState state;
    try (PooledInstance first = pool.instantiate(module, customizer)) {
      init.accept(first.instance());
      state = SnapshotState.capture(first.instance());
    }
    return new WasmSnapshot(pool, memoryPool, module, customizer, state);
  }

  /** The module this snapshot was taken of. */
  public WasmModule module() {
    return module;
  }

  /** The bytes the snapshot's memory images span (the memories' captured sizes, summed). */
  public long imageBytes() {
    return state.imageBytes();
  }

  /** The size of the module's {@code i}-th defined memory when the snapshot was taken, in pages. */
  public int memoryPages(int i) {
    return state.pages(i);
  }

  /** How many instances were started from this snapshot. */
  public long instantiations() {
    return instantiations.sum();
  }

  /** Whether {@link #close()} has been called (or the pool closed). */
  public boolean isClosed() {
    return uses.isRetired();
  }

  /**
   * Releases the images and strips this snapshot's affinity from every warm slot; idempotent.
   * Instances still open keep working, and their slots come back without the snapshot's affinity
   * (those of an instantiation racing this call too, whether it succeeds or throws).
   */
  @Override
  public void close() {
    if (uses.retire()) { // first: a slot released from now on sees it and strips itself
      pool.forget(this);
      purgeSlots();
    }
  }

  /** Closes the snapshot when its pool closes: the pool is unmapped, so no slot is purged. */
  void closeImages() {
    if (uses.retire()) {
      pool.forget(this);
    }
  }

  @Override
  public String toString() {
    return name + "[" + state.memoryCount() + " memories, " + imageBytes() + " bytes]";
  }

  WasmInstancePool pool() {
    return pool;
  }

  /**
   * Strips this snapshot's affinity from its warm slots; returns how many (0 once the pool is
   * closed: its slots go with it).
   */
  int purgeSlots() {
    int purged = 0;
    try {
      for (MemoryPlan plan : plans) {
        purged += memoryPool.purge(plan.key());
      }
    } catch (IllegalStateException e) {
      if (!pool.isClosed()) {
        throw e;
      }
    }
    return purged;
  }

  /** What an instance does once its slots are back: strip them if the snapshot closed since. */
  private void released() {
    if (uses.isRetired()) {
      purgeSlots();
    }
  }

  PooledInstance instantiate(Consumer<Instance.Builder> override, SlotWait wait) {
    if (!uses.tryAcquire()) {
      throw new IllegalStateException(this + " is closed: take a new snapshot");
    }
    try {
      var memories = new InstanceMemories(this::released, pool.counters());
      try {
        var leases = new Leases(memories, wait);
        Instance.Builder builder = Instance.builder(restoreModule);
        MachineFactories.customize(builder, override == null ? customizer : override, memories);
        builder
            .withMemoryFactory(leases::create)
            .withGlobalFactory(state.globalFactory())
            .withTableFactory(state.tableFactory(false))
            .withInitialize(true)
            .withStart(false);
        Instance instance = builder.build();
        MachineFactories.check(instance);
        state.restore(instance);
        instantiations.increment();
        return new PooledInstance(instance, memories);
      } catch (RuntimeException | Error e) {
        try {
          memories.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    } finally {
      uses.release(); // the slots hold the images themselves from here on
    }
  }

  /** This snapshot as the origin of a prepared module's instances. */
  InstanceOrigin origin() {
    return () -> {
      if (!uses.tryAcquire()) {
        throw new IllegalStateException(this + " is closed: take a new snapshot");
      }
      MemoryPlan memory = plans[0];
      MemoryLimits limits = state.limits(0, memory.declaredLimits());
      return new InstanceOrigin.Use() {
        @Override
        public Object identity() {
          return WasmSnapshot.this;
        }

        @Override
        public boolean isRetired() {
          return uses.isRetired();
        }

        @Override
        public MemoryPlan memory() {
          return memory;
        }

        @Override
        public MemoryLimits limits() {
          return limits;
        }

        @Override
        public boolean imageMapped() {
          return limits.initialPages() > 0;
        }

        @Override
        public Runnable releasedHook() {
          return WasmSnapshot.this::released;
        }

        @Override
        public Instance.Builder builder() {
          instantiations.increment();
          return Instance.builder(restoreModule)
              .withGlobalFactory(state.globalFactory())
              .withTableFactory(state.tableFactory(true))
              .withInitialize(true);
        }

        @Override
        public void restore(Instance instance) {
          state.restore(instance);
        }

        @Override
        public void close() {
          uses.release();
        }
      };
    };
  }

  /**
   * The module as it is, or a copy without its start section (the snapshot already ran it) and with
   * every active element segment emptied (restore() writes the captured table entries).
   */
  private static WasmModule forRestore(WasmModule m) {
    boolean activeElements = false;
    var elements = ElementSection.builder();
    for (Element element : m.elementSection().elements()) {
      if (element instanceof ActiveElement active && active.elementCount() > 0) {
        activeElements = true;
        elements.addElement(
            new ActiveElement(active.type(), List.of(), active.tableIndex(), active.offset()));
      } else {
        elements.addElement(element);
      }
    }
    if (m.startSection().isEmpty() && !activeElements) {
      return m;
    }
    var b =
        WasmModule.builder()
            .setTypeSection(m.typeSection())
            .setImportSection(m.importSection())
            .setFunctionSection(m.functionSection())
            .setTableSection(m.tableSection())
            .setGlobalSection(m.globalSection())
            .setExportSection(m.exportSection())
            .setElementSection(activeElements ? elements.build() : m.elementSection())
            .setCodeSection(m.codeSection())
            .setDataSection(m.dataSection())
            .withValidation(false)
            .withDigest(m.digest());
    m.memorySection().ifPresent(b::setMemorySection);
    m.dataCountSection().ifPresent(b::setDataCountSection);
    m.tagSection().ifPresent(b::setTagSection);
    for (CustomSection section : m.customSections()) {
      b.addCustomSection(section.name(), section);
    }
    return b.build();
  }

  /** The memories leased for one instantiation, in the order Chicory asks for them. */
  private final class Leases {
    private final InstanceMemories memories;
    private final SlotWait wait;

    Leases(InstanceMemories memories, SlotWait wait) {
      this.memories = memories;
      this.wait = wait;
    }

    Memory create(MemoryLimits ignored) {
      int i = memories.memories().length;
      MemoryPlan plan = plans[i];
      MemoryLimits limits = state.limits(i, plan.declaredLimits());
      long bytes = (long) limits.initialPages() * Memory.PAGE_SIZE;
      boolean imaged = bytes > 0;
      PooledMemory lease = wait.lease(memoryPool, plan.key(), imaged ? plan.image() : null, bytes);
      pool.unpark(lease.slot());
      return new PooledLinearMemory(lease, limits, plan, imaged, memories);
    }
  }
}
