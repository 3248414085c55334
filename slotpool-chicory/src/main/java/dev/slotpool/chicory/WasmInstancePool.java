package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.slotpool.chicory.internal.InstanceMemories;
import dev.slotpool.chicory.internal.LifecycleCounters;
import dev.slotpool.chicory.internal.MachineFactories;
import dev.slotpool.chicory.internal.MemoryPlan;
import dev.slotpool.chicory.internal.ModulePlan;
import dev.slotpool.chicory.internal.PooledLinearMemory;
import dev.slotpool.chicory.internal.PrivateTables;
import dev.slotpool.chicory.internal.SlotWait;
import dev.slotpool.chicory.internal.TrackedTable;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PoolBuilder;
import dev.slotpool.memory.PoolExhaustedException;
import dev.slotpool.memory.PoolMBean;
import dev.slotpool.memory.PoolSettings;
import dev.slotpool.memory.PoolStats;
import dev.slotpool.memory.PooledMemory;
import dev.slotpool.memory.internal.PoolScopedLeases;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Instantiates WebAssembly modules in Chicory with linear memories leased from a {@link
 * MemoryPool}, so that instantiating a module again costs next to nothing: a slot that last held
 * the same module's memory already holds its pristine data segments, and {@code initialize} has
 * nothing to copy.
 *
 * <p>Each memory a module defines gets a slot. The affinity key is the pair (module, memory index),
 * where <b>modules are compared by identity</b> of the parsed {@link WasmModule}: parse a module
 * once and instantiate that object for every request; two parses of the same bytes share nothing.
 * The data segments of each memory whose offsets are constants are turned into a copy-on-write
 * {@link dev.slotpool.memory.MemoryImage} the first time the module is instantiated; segments
 * placed by imported globals are copied at each instantiation, after the image. Call {@link
 * #purge(WasmModule)} when a module is unloaded: it releases the module's images and frees the warm
 * slots it held.
 *
 * <p>Differences from Chicory's default memory: {@code memory.grow} also fails (returns -1) past
 * the pool's {@code maxMemoryBytes}, a module whose initial memory exceeds it cannot be
 * instantiated, and shared memories (the threads proposal) are refused.
 *
 * <p>Thread-safe: any thread may instantiate, purge, read stats and close at any time. Each {@link
 * PooledInstance} may be created on one thread, run on another and closed on a third, as
 * asynchronous code does; it is used by one thread at a time, like a Chicory {@code Instance}, and
 * may be closed from any thread at any time: a close while a call runs in it cancels that call (see
 * {@link PooledInstance}). No JVM-wide handshake is paid per instance.
 */
/*
 * Implementation notes
 *
 * instantiate() looks the module's plan up in an identity map under a short lock (building it, the
 * only expensive step, happens outside the lock; a racing duplicate is closed). It then hands
 * Chicory's Instance.Builder a memory factory that Chicory calls once per defined memory, in index
 * order, before the instance exists; each call leases a slot with that memory's key and image.
 * If anything fails after a lease (pool exhausted for a second memory, a trapping start function,
 * a bad import), every lease taken so far is closed before the exception propagates.
 *
 * Lifecycle. `closed` is set under the plans lock, and a plan is acquired (a use counted) under
 * the same lock, so an instantiation either takes a use before close/purge removes the plan or
 * sees it gone (and plans anew, or throws if closed). A plan's images close when it is retired and
 * its last use is released; instantiation releases its use when it returns. An instance keeps no
 * use: its slot holds the image itself, and its release hook strips the slot's affinity if the
 * plan was retired meanwhile. purge() retires before stripping, the hook reads `retired` after the
 * slot is back: one of the two always strips it. Nothing here refers to an instance.
 *
 * Calls. The pool wraps the machine the customizer chose (the interpreter by default, or a compiled
 * one) in a GuardedMachine, so every call into the instance's Wasm code is counted by its
 * InstanceMemories; a slot is reset only when no call of its instance runs, which is what lets the
 * memories use pool-scoped leases (no arena per lease, no handshake per close; see
 * PooledLinearMemory's notes).
 *
 * Snapshots follow the same discipline with a UseCount of their own (WasmSnapshot): an
 * instantiation holds a use while it leases, close() retires before it purges, and an instance's
 * release hook strips its slots if the snapshot was retired meanwhile. snapshot() registers a new
 * snapshot under the plans lock, checking `closed`, so close() either finds it in `snapshots` or
 * snapshot() sees the pool closed and releases it itself.
 *
 * Warm hit cost: one map lookup, one pool allocate that maps nothing, Chicory's own Instance
 * construction, and an initialize() that skips every imaged segment (PooledLinearMemory's FRESH
 * state also absorbs the zero() Chicory calls first).
 */
public final class WasmInstancePool implements AutoCloseable {
  private static final Consumer<Instance.Builder> NO_CUSTOMIZER = builder -> {};

  private final MemoryPool memoryPool;
  private final LifecycleCounters counters = new LifecycleCounters();

  /** The live plans; guarded by itself, as is {@code closed}'s write. */
  private final IdentityHashMap<WasmModule, ModulePlan> plans = new IdentityHashMap<>();

  private volatile PoolMBean mbean; // set by the builder if it named the pool

  private final Set<WasmSnapshot> snapshots = ConcurrentHashMap.newKeySet();
  private final LongAdder snapshotsTaken = new LongAdder();
  private final LongAdder snapshotInstantiations = new LongAdder();

  /** The instance of a prepared module parked with each slot, if any (see RecycledInstance). */
  private final AtomicReferenceArray<RecycledInstance<?>> parked;

  private final RecycleCounters recycleCounters = new RecycleCounters(null);

  private volatile boolean closed;

  private WasmInstancePool(MemoryPool memoryPool) {
    this.memoryPool = memoryPool;
    this.parked = new AtomicReferenceArray<>(memoryPool.slots());
  }

  /** Starts configuring a pool; the settings are those of {@link MemoryPool.Builder}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Prepares {@code module} for requests: its imports come from {@code linker}, whose host
   * functions reach each request's context, and its instances are recycled (see {@link
   * PreparedModule}). The fastest way to run a module per request:
   *
   * <pre>{@code
   * PreparedModule<WasiOptions> prepared = pool.prepare(module, Linker.wasi());
   * try (PooledInstance pooled = prepared.instantiate(WasiOptions.builder().withStdout(out).build())) {
   *   pooled.instance().export("_start").apply();
   * }
   * }</pre>
   *
   * Plans nothing yet: the first instantiation does.
   */
  public <C> PreparedModule<C> prepare(WasmModule module, Linker<C> linker) {
    return prepare(module, linker, NO_CUSTOMIZER);
  }

  /**
   * As {@link #prepare(WasmModule, Linker)}, with {@code customizer} configuring Chicory's {@link
   * Instance.Builder} each time an instance is built (the machine factory, such as the compiler's;
   * a listener). The pool then sets the imports (the linker's), the memory and the table factories.
   */
  public <C> PreparedModule<C> prepare(
      WasmModule module, Linker<C> linker, Consumer<Instance.Builder> customizer) {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(linker, "linker");
    Objects.requireNonNull(customizer, "customizer");
    if (closed) {
      throw closedException();
    }
    return new PreparedModule<>(this, module, origin(module), null, linker, customizer);
  }

  /**
   * Prepares {@code snapshot} for requests as {@link #prepare(WasmModule, Linker)} prepares a
   * module: each instance starts in the snapshot's state, with the linker's imports (not the
   * customizer the snapshot was taken with), and is recycled to that state when it is closed.
   *
   * @throws IllegalArgumentException if the snapshot was taken by another pool
   * @throws IllegalStateException if the snapshot or the pool is closed
   */
  public <C> PreparedModule<C> prepare(WasmSnapshot snapshot, Linker<C> linker) {
    return prepare(snapshot, linker, NO_CUSTOMIZER);
  }

  /**
   * As {@link #prepare(WasmSnapshot, Linker)}, with {@code customizer} configuring Chicory's
   * builder each time an instance is built (the machine factory; a listener).
   */
  public <C> PreparedModule<C> prepare(
      WasmSnapshot snapshot, Linker<C> linker, Consumer<Instance.Builder> customizer) {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(linker, "linker");
    Objects.requireNonNull(customizer, "customizer");
    if (snapshot.pool() != this) {
      throw new IllegalArgumentException(
          snapshot + " was taken by another pool (expected: a snapshot of this pool)");
    }
    if (closed || snapshot.isClosed()) {
      throw new IllegalStateException((closed ? this : snapshot) + " is closed");
    }
    return new PreparedModule<>(
        this, snapshot.module(), snapshot.origin(), snapshot, linker, customizer);
  }

  /**
   * How the instantiations of this pool's prepared modules got their instances: recycled or built,
   * and why not recycled (see {@link RecycleStats}).
   */
  public RecycleStats recycleStats() {
    return recycleCounters.stats();
  }

  /** The pool-wide counters that every prepared module also counts into. */
  RecycleCounters recycleCounters() {
    return recycleCounters;
  }

  /** {@code module} as the origin of a prepared module's instances. */
  InstanceOrigin origin(WasmModule module) {
    return () -> {
      ModulePlan plan = acquirePlan(module);
      MemoryPlan memory = plan.memory(0);
      return new InstanceOrigin.Use() {
        @Override
        public Object identity() {
          return plan;
        }

        @Override
        public boolean isRetired() {
          return plan.isRetired();
        }

        @Override
        public MemoryPlan memory() {
          return memory;
        }

        @Override
        public MemoryLimits limits() {
          return memory.declaredLimits();
        }

        @Override
        public boolean imageMapped() {
          return memory.image() != null;
        }

        @Override
        public Runnable releasedHook() {
          return WasmInstancePool.this.releasedHook(plan);
        }

        @Override
        public Instance.Builder builder() {
          return Instance.builder(module).withTableFactory(TrackedTable.FACTORY);
        }

        @Override
        public void restore(Instance instance) {}

        @Override
        public void close() {
          plan.release();
        }
      };
    };
  }

  /** Takes the instance parked with {@code slot}, which the caller has just leased, if any. */
  @SuppressWarnings("unchecked")
  <C> RecycledInstance<C> takeParked(int slot) {
    return (RecycledInstance<C>) parked.getAndSet(slot, null);
  }

  /** Parks {@code instance} with {@code slot}, which its releasing lease still holds. */
  void park(int slot, RecycledInstance<?> instance) {
    parked.set(slot, instance);
  }

  /** Forgets the instance parked with {@code slot}, which another module has just leased. */
  void unpark(int slot) {
    if (parked.getPlain(slot) != null) {
      RecycledInstance<?> dropped = parked.getAndSet(slot, null);
      if (dropped != null) {
        dropped.drop();
      }
    }
  }

  MemoryPool memoryPool() {
    return memoryPool;
  }

  /**
   * Instantiates {@code module} with its memories from this pool, as {@code
   * Instance.builder(module).build()} would. If every slot is in use it waits for one, up to the
   * pool's {@link PoolBuilder#maxWait maxWait} (30 seconds by default).
   *
   * @throws IllegalStateException if the pool is closed (before or during this call); nothing is
   *     planned, cached or leased
   * @throws PoolExhaustedException if no slot was released within {@code maxWait} for one of its
   *     memories, or the thread was interrupted while it waited (its interrupt status is then set);
   *     nothing is left leased
   * @throws IllegalArgumentException if a memory's initial size exceeds {@code maxMemoryBytes}
   * @throws UnsupportedOperationException if the module defines a shared memory
   * @throws com.dylibso.chicory.wasm.ChicoryException whatever Chicory throws for the module
   */
  public PooledInstance instantiate(WasmModule module) {
    return instantiate(module, NO_CUSTOMIZER);
  }

  /**
   * As {@link #instantiate(WasmModule)}, but waits up to {@code timeout} instead of {@code maxWait}
   * for free slots (all of the module's memories together). A zero or negative timeout does not
   * wait; one too long to count in nanoseconds waits without a limit.
   */
  public PooledInstance instantiate(WasmModule module, Duration timeout) {
    return instantiate(module, NO_CUSTOMIZER, timeout);
  }

  /**
   * As {@link #instantiate(WasmModule)}, after letting {@code customizer} configure Chicory's
   * {@link Instance.Builder}: imports (host functions, WASI), the machine factory, start and
   * initialise flags, memory limits. The pool then sets the builder's memory and table factories,
   * so factories set by the customizer are replaced (each instance's tables get limits of their
   * own: a {@code table.grow} never reaches the parsed module or the next instance). If anything
   * fails (the customizer included), every slot leased so far is returned before the exception
   * propagates.
   */
  public PooledInstance instantiate(WasmModule module, Consumer<Instance.Builder> customizer) {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(customizer, "customizer");
    return instantiateWaiting(module, customizer, SlotWait.maxWait(memoryPool));
  }

  /**
   * As {@link #instantiate(WasmModule, Consumer)}, but waits up to {@code timeout} instead of
   * {@code maxWait} for free slots, as {@link #instantiate(WasmModule, Duration)} does.
   */
  public PooledInstance instantiate(
      WasmModule module, Consumer<Instance.Builder> customizer, Duration timeout) {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(customizer, "customizer");
    return instantiateWaiting(module, customizer, SlotWait.of(timeout));
  }

  /** A new instance of {@code module}, waiting for slots as {@code wait} says. */
  PooledInstance instantiateWaiting(
      WasmModule module, Consumer<Instance.Builder> customizer, SlotWait wait) {
    ModulePlan plan = acquirePlan(module);
    try {
      var memories = new InstanceMemories(releasedHook(plan), counters);
      try {
        Instance.Builder builder = Instance.builder(module);
        MachineFactories.customize(builder, customizer, memories);
        builder.withMemoryFactory(limits -> createMemory(plan, memories, limits, wait));
        builder.withTableFactory(PrivateTables.FACTORY);
        Instance instance = builder.build();
        MachineFactories.check(instance);
        return new PooledInstance(instance, memories);
      } catch (RuntimeException | Error e) {
        try {
          memories.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        if (closed && !(e instanceof IllegalStateException)) {
          throw new IllegalStateException(this + " was closed during instantiation", e);
        }
        throw e;
      }
    } finally {
      plan.release();
    }
  }

  /**
   * Instantiates {@code module}, runs {@code init} on it (call {@code _initialize}, evaluate a
   * prelude, ...) and captures the state it reached as a {@link WasmSnapshot}, from which {@link
   * #instantiate(WasmSnapshot)} starts instances without running the start function or the init
   * again. The instance used for the init is closed before this returns.
   *
   * @throws UnsupportedOperationException if the module's state cannot be captured (see {@link
   *     WasmSnapshot}); the init has not run if the module itself is refused
   * @throws PoolExhaustedException if no slot was released within {@code maxWait} for the init's
   *     instance
   * @throws IllegalStateException if the pool is closed (before or during this call); the images
   *     are released
   */
  public WasmSnapshot snapshot(WasmModule module, Consumer<Instance> init) {
    return snapshot(module, builder -> {}, init);
  }

  /**
   * As {@link #snapshot(WasmModule, Consumer)}, with {@code customizer} configuring Chicory's
   * {@link Instance.Builder} (imports, WASI, the machine factory) for the init's instance and, by
   * default, for every instance started from the snapshot.
   */
  public WasmSnapshot snapshot(
      WasmModule module, Consumer<Instance.Builder> customizer, Consumer<Instance> init) {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(customizer, "customizer");
    Objects.requireNonNull(init, "init");
    WasmSnapshot snapshot = WasmSnapshot.take(this, memoryPool, module, customizer, init);
    synchronized (plans) { // close() sets `closed` under this lock, then closes what it finds
      if (!closed) {
        snapshots.add(snapshot);
        snapshotsTaken.increment();
        return snapshot;
      }
    }
    snapshot.closeImages();
    throw new IllegalStateException(this + " was closed while the snapshot was taken");
  }

  /**
   * Starts an instance from {@code snapshot}: its memories, globals and tables equal the
   * snapshot's, and neither the start function nor the init runs. Its imports come from the
   * customizer the snapshot was taken with.
   *
   * @throws IllegalStateException if the snapshot is closed
   * @throws IllegalArgumentException if the snapshot was taken by another pool
   * @throws PoolExhaustedException if no slot was released within {@code maxWait} for one of its
   *     memories (see {@link #instantiate(WasmModule)})
   */
  public PooledInstance instantiate(WasmSnapshot snapshot) {
    return instantiateSnapshot(snapshot, null, SlotWait.maxWait(memoryPool));
  }

  /**
   * As {@link #instantiate(WasmSnapshot)}, but waits up to {@code timeout} instead of {@code
   * maxWait} for free slots, as {@link #instantiate(WasmModule, Duration)} does.
   */
  public PooledInstance instantiate(WasmSnapshot snapshot, Duration timeout) {
    return instantiateSnapshot(snapshot, null, SlotWait.of(timeout));
  }

  /**
   * As {@link #instantiate(WasmSnapshot)}, with {@code customizer} configuring the builder instead
   * of the snapshot's own (fresh host state per request: a new WASI context, new host objects). The
   * pool then sets the memory, global and table factories and turns the start function off.
   */
  public PooledInstance instantiate(WasmSnapshot snapshot, Consumer<Instance.Builder> customizer) {
    Objects.requireNonNull(customizer, "customizer");
    return instantiateSnapshot(snapshot, customizer, SlotWait.maxWait(memoryPool));
  }

  /**
   * As {@link #instantiate(WasmSnapshot, Consumer)}, but waits up to {@code timeout} instead of
   * {@code maxWait} for free slots, as {@link #instantiate(WasmModule, Duration)} does.
   */
  public PooledInstance instantiate(
      WasmSnapshot snapshot, Consumer<Instance.Builder> customizer, Duration timeout) {
    Objects.requireNonNull(customizer, "customizer");
    return instantiateSnapshot(snapshot, customizer, SlotWait.of(timeout));
  }

  private PooledInstance instantiateSnapshot(
      WasmSnapshot snapshot, Consumer<Instance.Builder> customizer, SlotWait wait) {
    Objects.requireNonNull(snapshot, "snapshot");
    if (snapshot.pool() != this) {
      throw new IllegalArgumentException(
          snapshot + " was taken by another pool (expected: a snapshot of this pool)");
    }
    PooledInstance instance = snapshot.instantiate(customizer, wait);
    snapshotInstantiations.increment();
    return instance;
  }

  /**
   * Strips {@code snapshot}'s affinity from every warm slot, so they go to other keys first; the
   * snapshot stays usable (its next instance maps its image into a slot anew). Close the snapshot
   * to release its images too.
   *
   * @return how many warm slots were purged
   */
  public int purge(WasmSnapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    return snapshot.isClosed() ? 0 : snapshot.purgeSlots(); // 0 too if the pool closes meanwhile
  }

  /** The snapshot counters. */
  public SnapshotStats snapshotStats() {
    int live = 0;
    long bytes = 0;
    for (WasmSnapshot s : snapshots) {
      live++;
      bytes += s.imageBytes();
    }
    return new SnapshotStats(live, bytes, snapshotsTaken.sum(), snapshotInstantiations.sum());
  }

  void forget(WasmSnapshot snapshot) {
    snapshots.remove(snapshot);
  }

  /**
   * Forgets {@code module}: releases its images and strips its affinity from every warm slot, so
   * they go to other modules first. Instances still open keep working; their slots come back
   * without affinity when they close, and the images' files close with the last of them (or, for an
   * instance never closed, when its slot is next given to another module). An instantiation racing
   * this call either uses the old plan to the end or plans the module anew. Instantiating the
   * module again later plans it anew.
   *
   * @return how many warm slots were purged
   * @throws IllegalStateException if the pool is closed
   */
  public int purge(WasmModule module) {
    Objects.requireNonNull(module, "module");
    ModulePlan plan;
    synchronized (plans) {
      if (closed) {
        throw closedException();
      }
      plan = plans.remove(module);
    }
    if (plan == null) {
      return 0;
    }
    plan.retire(); // first: a slot released from now on sees it and strips itself (releasedHook)
    return stripAffinity(plan);
  }

  /**
   * What the pool's instances do across threads: instances with a call running now (beside {@link
   * PoolStats#inUse()}, the slots leased), closes from another thread than the instance's last
   * caller, and closes that cancelled a running call. Taken in O(1).
   */
  public InstanceStats instanceStats() {
    return new InstanceStats(
        counters.running(), counters.closedFromAnotherThread(), counters.cancelled());
  }

  LifecycleCounters counters() {
    return counters;
  }

  /** Every setting of this pool, as in force (the same as a {@link MemoryPool}'s). */
  public PoolSettings settings() {
    return memoryPool.settings();
  }

  /** A snapshot of the underlying memory pool's counters. */
  public PoolStats stats() {
    return memoryPool.stats();
  }

  /** The number of slots, that is the most memories that can be in use at once. */
  public int slots() {
    return memoryPool.slots();
  }

  /** The most bytes one memory can grow to. */
  public long maxMemoryBytes() {
    return memoryPool.maxMemoryBytes();
  }

  /**
   * Releases every module's and snapshot's images and closes the memory pool (see {@link
   * MemoryPool#close()}). Idempotent, and safe at any time: later and racing instantiations and
   * purges throw {@link IllegalStateException}. Images close once no instantiation uses them;
   * instances still open keep their slots (a thread-confined one until its owner closes it) and the
   * reservation stays mapped until the last of them is closed or reclaimed.
   */
  @Override
  public void close() {
    ModulePlan[] all;
    synchronized (plans) {
      closed = true;
      all = plans.values().toArray(new ModulePlan[0]);
      plans.clear();
    }
    for (ModulePlan plan : all) {
      plan.retire(); // images close once no instantiation uses them; slots hold their own
    }
    for (WasmSnapshot snapshot : snapshots.toArray(new WasmSnapshot[0])) {
      snapshot.closeImages(); // images close once no instantiation uses them, as plans' do
    }
    for (int slot = 0; slot < parked.length(); slot++) {
      RecycledInstance<?> dropped = parked.getAndSet(slot, null);
      if (dropped != null) {
        dropped.drop();
      }
    }
    memoryPool.close();
    PoolMBean registered = mbean;
    if (registered != null) {
      registered.unregister();
    }
  }

  @Override
  public String toString() {
    return "WasmInstancePool[slots=" + memoryPool.slots() + (closed ? ", closed]" : "]");
  }

  /**
   * The module's plan with one use taken; plans it if needed (outside the lock: the expensive
   * step). Caches nothing, and closes what it planned, if the pool is closed. A plan in the map is
   * never retired (purge and close remove it first), so taking a use of it cannot fail.
   */
  ModulePlan acquirePlan(WasmModule module) {
    ModulePlan created = null;
    try {
      while (true) {
        synchronized (plans) {
          if (closed) {
            throw closedException();
          }
          ModulePlan plan = plans.get(module);
          if (plan != null && plan.tryAcquire()) {
            return plan;
          }
          if (created != null && created.tryAcquire()) {
            plans.put(module, created);
            ModulePlan planned = created;
            created = null;
            return planned;
          }
        }
        created = ModulePlan.create(module);
      }
    } finally {
      if (created != null) {
        created.close(); // a racing instantiation planned it first, or the pool closed
      }
    }
  }

  /** What an instance does once its slots are back: strip them if its module was purged since. */
  Runnable releasedHook(ModulePlan plan) {
    return () -> {
      if (plan.isRetired()) {
        stripAffinity(plan);
      }
    };
  }

  private int stripAffinity(ModulePlan plan) {
    int purged = 0;
    try {
      for (int i = 0; i < plan.memoryCount(); i++) {
        purged += memoryPool.purge(plan.memory(i).key());
      }
    } catch (IllegalStateException e) {
      if (!closed) {
        throw e;
      }
      // The pool closed meanwhile: its slots and images go with it.
    }
    return purged;
  }

  boolean isClosed() {
    return closed;
  }

  private IllegalStateException closedException() {
    return new IllegalStateException(this + " is closed");
  }

  /** Chicory asks for the memories one by one, in index order, while building the instance. */
  private Memory createMemory(
      ModulePlan plan, InstanceMemories memories, MemoryLimits limits, SlotWait wait) {
    int index = memories.memories().length;
    MemoryPlan memoryPlan = plan.memory(index);
    checkInitialSize(memoryPlan, limits);
    long initialBytes = (long) limits.initialPages() * Memory.PAGE_SIZE;
    // The image fits unless a customizer shrank the initial size; then copy, without affinity.
    boolean useImage = memoryPlan.image() != null && memoryPlan.imageExtent() <= initialBytes;
    Object key = (useImage || memoryPlan.image() == null) ? memoryPlan.key() : null;
    PooledMemory lease =
        wait.lease(memoryPool, key, useImage ? memoryPlan.image() : null, initialBytes);
    unpark(lease.slot());
    return new PooledLinearMemory(lease, limits, memoryPlan, useImage, memories);
  }

  /**
   * Throws if a memory of {@code limits} cannot be pooled: shared, or bigger at the start than
   * {@code maxMemoryBytes}.
   */
  void checkInitialSize(MemoryPlan memoryPlan, MemoryLimits limits) {
    if (limits.shared()) {
      throw new UnsupportedOperationException(
          memoryPlan.key() + " is shared (threads proposal): shared memories are not pooled");
    }
    long initialBytes = (long) limits.initialPages() * Memory.PAGE_SIZE;
    if (initialBytes > memoryPool.maxMemoryBytes()) {
      throw new IllegalArgumentException(
          memoryPlan.key()
              + " starts at "
              + limits.initialPages()
              + " pages ("
              + initialBytes
              + " bytes) (expected: at most the pool's maxMemoryBytes, "
              + memoryPool.maxMemoryBytes()
              + ")");
    }
  }

  /**
   * Configures a {@link WasmInstancePool}: the same setters as {@link MemoryPool.Builder}, one per
   * component of {@link PoolSettings} (which holds each setting's default, range and description),
   * and {@code jmxName}, which registers {@code dev.slotpool:type=WasmInstancePool,name=NAME}.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder extends PoolBuilder<Builder> {
    private static final String TYPE = "WasmInstancePool";

    private Builder() {}

    /**
     * Reserves the pool's memory.
     *
     * @throws IllegalArgumentException if a setting is out of range
     * @throws dev.slotpool.memory.NativeMemoryException if the reservation fails
     */
    public WasmInstancePool build() {
      String jmxName = jmxName();
      if (jmxName != null) {
        PoolMBean.objectName(TYPE, jmxName); // a malformed name fails before reserving
      }
      var pool = new WasmInstancePool(PoolScopedLeases.build(settings()));
      if (jmxName != null) {
        try {
          pool.mbean = PoolMBean.register(TYPE, jmxName, pool.memoryPool);
        } catch (RuntimeException e) {
          pool.close(); // a duplicate name leaves nothing mapped
          throw e;
        }
      }
      return pool;
    }
  }
}
