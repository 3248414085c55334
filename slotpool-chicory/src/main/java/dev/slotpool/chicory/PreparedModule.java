package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.Global;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MutabilityType;
import dev.slotpool.chicory.RecycleStats.Reason;
import dev.slotpool.chicory.internal.InstanceMemories;
import dev.slotpool.chicory.internal.MachineFactories;
import dev.slotpool.chicory.internal.MemoryPlan;
import dev.slotpool.chicory.internal.PooledLinearMemory;
import dev.slotpool.chicory.internal.SlotWait;
import dev.slotpool.memory.PooledMemory;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A module (or a snapshot) with its imports resolved once, as Wasmtime's {@code InstancePre}, whose
 * instances are recycled: {@link #instantiate(Object)} gives each request an instance with the
 * request's own host state (its {@code context}, for the {@link Linker}'s host functions and WASI).
 * When the instance is closed, everything the guest can observe is reset to the module's initial
 * state (or the snapshot's), and the Chicory {@code Instance} is parked with its warm slot; the
 * next instantiation that gets that slot hands back the same {@code Instance} without constructing
 * anything. What is reset:
 *
 * <ul>
 *   <li>the memory's contents and size (the slot's reset, as for every pooled instance);
 *   <li>every mutable global, every table entry, every dropped data and element segment;
 *   <li>WASI: the request's streams, arguments and environment, and a new descriptor table;
 *   <li>after a call that trapped or threw, the runtime's machine (its stacks).
 * </ul>
 *
 * <p>An instance whose close cancelled a call, or whose table grew, is dropped instead, and the
 * next request on its slot builds a new one. A module whose state cannot be reset (an imported
 * memory, table or mutable global, a start function, exceptions or GC types, other than one memory)
 * builds a new instance for every request; {@link #recycleStats()} says how many instantiations
 * recycled and why others did not.
 *
 * <p><b>After {@code close()}, the {@code Instance} belongs to the next request.</b> Keep neither
 * it nor functions or memories taken from it past the {@link PooledInstance}'s close: {@link
 * PooledInstance#instance()} throws once the instance is closed, and a call through a reference
 * kept from before may run in another request's instance.
 *
 * <p>Thread-safe: any thread may instantiate at any time; each instance is used as {@link
 * PooledInstance} says.
 *
 * @param <C> the type of a request's context (see {@link Linker})
 */
public final class PreparedModule<C> {
  private final WasmInstancePool pool;
  private final WasmModule module;
  private final InstanceOrigin origin;
  private final WasmSnapshot snapshot; // the snapshot the instances start from, or null
  private final Linker<C> linker;
  private final Consumer<Instance.Builder> customizer;
  private final Reason never; // why this module's instances are never recycled, or null
  private final RecycleCounters counters;

  PreparedModule(
      WasmInstancePool pool,
      WasmModule module,
      InstanceOrigin origin,
      WasmSnapshot snapshot,
      Linker<C> linker,
      Consumer<Instance.Builder> customizer) {
    this.pool = pool;
    this.module = module;
    this.origin = origin;
    this.snapshot = snapshot;
    this.linker = linker;
    this.customizer = customizer;
    this.counters = new RecycleCounters(pool.recycleCounters());
    this.never = neverRecycled(module, linker, snapshot != null);
  }

  /** The module. */
  public WasmModule module() {
    return module;
  }

  /**
   * Whether this module's instances are recycled at all; if not, {@link #recycleStats()} names the
   * reason.
   */
  public boolean recycles() {
    return never == null;
  }

  /**
   * An instance of the module for one request, whose host functions see {@code context}: a parked
   * instance reset to the module's initial state if its warm slot has one, else a new one. Waits
   * for a free slot up to the pool's {@code maxWait}.
   *
   * @throws IllegalStateException if the pool is closed
   * @throws dev.slotpool.memory.PoolExhaustedException if no slot was released within {@code
   *     maxWait}
   * @throws com.dylibso.chicory.wasm.ChicoryException whatever Chicory throws for the module
   */
  public PooledInstance instantiate(C context) {
    return instantiate(context, SlotWait.maxWait(pool.memoryPool()));
  }

  /** As {@link #instantiate(Object)}, waiting up to {@code timeout} for a free slot. */
  public PooledInstance instantiate(C context, Duration timeout) {
    return instantiate(context, SlotWait.of(timeout));
  }

  /** What this module's instantiations did: recycled, built, and why not recycled. */
  public RecycleStats recycleStats() {
    return counters.stats();
  }

  @Override
  public String toString() {
    return "PreparedModule[" + module + (never == null ? "" : ", not recycled: " + never) + "]";
  }

  private PooledInstance instantiate(C context, SlotWait wait) {
    if (never != null) {
      return instantiateFresh(context, wait);
    }
    try (InstanceOrigin.Use use = origin.acquire()) {
      MemoryPlan memoryPlan = use.memory();
      MemoryLimits limits = use.limits();
      pool.checkInitialSize(memoryPlan, limits);
      long initialBytes = (long) limits.initialPages() * Memory.PAGE_SIZE;
      PooledMemory lease =
          wait.lease(
              pool.memoryPool(),
              memoryPlan.key(),
              use.imageMapped() ? memoryPlan.image() : null,
              initialBytes);
      RecycledInstance<C> parked = pool.takeParked(lease.slot());
      if (parked != null && parked.servedBy(this, use.identity())) {
        try {
          PooledInstance instance = parked.reuse(lease, context);
          counters.recycled();
          return instance;
        } catch (RuntimeException | Error e) {
          parked.drop();
          throw e;
        }
      }
      if (parked != null) {
        parked.drop(); // another prepared module's, or of a purged plan
      }
      // This module's instance of a plan purged since; else the slot served another module.
      count(parked != null && parked.preparedBy(this) ? Reason.PURGED : Reason.NO_INSTANCE_ON_SLOT);
      counters.built();
      return build(use, lease, context);
    }
  }

  /** A new instance on every request, for a module that cannot be recycled. */
  private PooledInstance instantiateFresh(C context, SlotWait wait) {
    count(never);
    counters.built();
    Linker.Binding<C> binding = linker.bind();
    binding.begin(context);
    try {
      PooledInstance instance =
          snapshot != null
              ? snapshot.instantiate(withImports(binding), wait)
              : pool.instantiateWaiting(module, withImports(binding), wait);
      instance.closing(binding::close); // nobody else has the instance yet
      return instance;
    } catch (RuntimeException | Error e) {
      binding.close();
      throw e;
    }
  }

  /** Builds a new recyclable instance on {@code lease}, which it owns from here on. */
  private PooledInstance build(InstanceOrigin.Use use, PooledMemory lease, C context) {
    var memories = new InstanceMemories(use.releasedHook(), pool.counters());
    Linker.Binding<C> binding = linker.bind();
    PooledLinearMemory[] memory = new PooledLinearMemory[1];
    try {
      binding.begin(context);
      MemoryPlan memoryPlan = use.memory();
      MemoryLimits declared = memoryPlan.declaredLimits();
      Instance.Builder builder = use.builder();
      MachineFactories.customize(builder, withImports(binding), memories);
      builder.withMemoryFactory(
          limits -> {
            if (memory[0] != null
                || limits.initialPages() != declared.initialPages()
                || limits.maximumPages() != declared.maximumPages()) {
              throw new UnsupportedOperationException(
                  memoryPlan.key()
                      + ": a prepared module's instances keep the module's one memory and its"
                      + " limits (expected: no withMemoryLimits in the customizer)");
            }
            memory[0] =
                new PooledLinearMemory(
                    lease, use.limits(), memoryPlan, use.imageMapped(), memories);
            return memory[0];
          });
      Instance instance = builder.build();
      MachineFactories.check(instance);
      use.restore(instance);
      var recycling = RecycledInstance.capture(this, use, instance, memory[0], binding);
      memories.beforeRelease(recycling::park);
      return new PooledInstance(instance, memories, true);
    } catch (RuntimeException | Error e) {
      binding.close();
      try {
        if (memory[0] != null) {
          memories.close();
        } else {
          lease.close();
        }
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private Consumer<Instance.Builder> withImports(Linker.Binding<C> binding) {
    return builder -> {
      customizer.accept(builder);
      builder.withImportValues(binding.imports()).withStart(false);
    };
  }

  WasmInstancePool pool() {
    return pool;
  }

  /** Counts an instantiation that built, or an instance dropped, for {@code reason}. */
  void count(Reason reason) {
    counters.notRecycled(reason);
  }

  /** Why instances of {@code module} linked by {@code linker} can never be recycled, or null. */
  private static Reason neverRecycled(WasmModule module, Linker<?> linker, boolean fromSnapshot) {
    if (linker.holdsHostState()) {
      return Reason.HOST_STATE;
    }
    int memories = module.memorySection().map(s -> s.memoryCount()).orElse(0);
    if (memories != 1 || module.importSection().count(ExternalType.MEMORY) != 0) {
      return Reason.MEMORY_LAYOUT;
    }
    if (module.memorySection().get().getMemory(0).limits().shared()) {
      return Reason.MEMORY_LAYOUT;
    }
    if (module.importSection().count(ExternalType.TABLE) != 0 || importsMutableGlobal(module)) {
      return Reason.HOST_STATE;
    }
    if (module.startSection().isPresent() && !fromSnapshot) {
      return Reason.START_FUNCTION;
    }
    if (module.tagSection().isPresent()) {
      return Reason.REFERENCE_STATE;
    }
    var types = module.typeSection();
    for (int i = 0; i < types.subTypeCount(); i++) {
      if (types.getSubType(i).compType().funcType() == null) {
        return Reason.REFERENCE_STATE; // a struct or array type: GC objects
      }
    }
    for (Global global : module.globalSection().globals()) {
      if (global.mutabilityType() == MutabilityType.Var && global.valueType().isReference()) {
        return Reason.REFERENCE_STATE;
      }
    }
    for (int i = 0; i < module.tableSection().tableCount(); i++) {
      if (!module
          .tableSection()
          .getTable(i)
          .elementType()
          .equals(com.dylibso.chicory.wasm.types.ValType.FuncRef)) {
        return Reason.REFERENCE_STATE;
      }
    }
    return null;
  }

  private static boolean importsMutableGlobal(WasmModule module) {
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      if (imports.getImport(i) instanceof com.dylibso.chicory.wasm.types.GlobalImport global
          && global.mutabilityType() == MutabilityType.Var) {
        return true;
      }
    }
    return false;
  }
}
