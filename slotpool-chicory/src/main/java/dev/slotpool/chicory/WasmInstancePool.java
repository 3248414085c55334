package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.slotpool.chicory.internal.MemoryPlan;
import dev.slotpool.chicory.internal.ModulePlan;
import dev.slotpool.chicory.internal.PooledLinearMemory;
import dev.slotpool.memory.MemoryImage;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PoolExhaustedException;
import dev.slotpool.memory.PoolMBean;
import dev.slotpool.memory.PoolStats;
import dev.slotpool.memory.PooledMemory;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
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
 * {@link MemoryImage} the first time the module is instantiated; segments placed by imported
 * globals are copied at each instantiation, after the image. Call {@link #purge(WasmModule)} when a
 * module is unloaded: it releases the module's images and frees the warm slots it held.
 *
 * <p>Differences from Chicory's default memory: {@code memory.grow} also fails (returns -1) past
 * the pool's {@code maxMemoryBytes}, a module whose initial memory exceeds it cannot be
 * instantiated, and shared memories (the threads proposal) are refused.
 *
 * <p>Thread-safe: any thread may instantiate, purge and read stats at any time; each {@link
 * PooledInstance} is then used by one thread at a time (by the instantiating thread alone if the
 * pool is {@linkplain Builder#threadConfined thread-confined}, the fast setting for one instance
 * per request). {@link #close()} must not race with instances in use (their memories throw
 * afterwards).
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
 * Warm hit cost: one map lookup, one pool allocate that maps nothing, Chicory's own Instance
 * construction, and an initialize() that skips every imaged segment (PooledLinearMemory's FRESH
 * state also absorbs the zero() Chicory calls first).
 */
public final class WasmInstancePool implements AutoCloseable {
  private final MemoryPool memoryPool;
  private final IdentityHashMap<WasmModule, ModulePlan> plans = new IdentityHashMap<>();
  private volatile PoolMBean mbean; // set by the builder if it named the pool

  private WasmInstancePool(MemoryPool memoryPool) {
    this.memoryPool = memoryPool;
  }

  /** Starts configuring a pool; the settings are those of {@link MemoryPool.Builder}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Instantiates {@code module} with its memories from this pool, as {@code
   * Instance.builder(module).build()} would.
   *
   * @throws PoolExhaustedException if no slot is free for one of its memories
   * @throws IllegalArgumentException if a memory's initial size exceeds {@code maxMemoryBytes}
   * @throws UnsupportedOperationException if the module defines a shared memory
   * @throws com.dylibso.chicory.wasm.ChicoryException whatever Chicory throws for the module
   */
  public PooledInstance instantiate(WasmModule module) {
    return instantiate(module, builder -> {});
  }

  /**
   * As {@link #instantiate(WasmModule)}, after letting {@code customizer} configure Chicory's
   * {@link Instance.Builder}: imports (host functions, WASI), the machine factory, start and
   * initialise flags, memory limits. The pool then sets the builder's memory factory, so a factory
   * set by the customizer is replaced.
   */
  public PooledInstance instantiate(WasmModule module, Consumer<Instance.Builder> customizer) {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(customizer, "customizer");
    ModulePlan plan = plan(module);
    var leases = new Leases(plan);
    Instance.Builder builder = Instance.builder(module);
    customizer.accept(builder);
    builder.withMemoryFactory(leases::create);
    try {
      Instance instance = builder.build();
      return new PooledInstance(instance, leases.memories);
    } catch (RuntimeException | Error e) {
      leases.releaseAll(e);
      throw e;
    }
  }

  /**
   * Forgets {@code module}: releases its images and strips its affinity from every warm slot, so
   * they go to other modules first. Instances still open keep working; their slots simply come back
   * without affinity. Instantiating the module again later plans it anew.
   *
   * @return how many warm slots were purged
   */
  public int purge(WasmModule module) {
    Objects.requireNonNull(module, "module");
    ModulePlan plan;
    synchronized (plans) {
      plan = plans.remove(module);
    }
    if (plan == null) {
      return 0;
    }
    int purged = 0;
    for (int i = 0; i < plan.memoryCount(); i++) {
      purged += memoryPool.purge(plan.memory(i).key());
    }
    plan.close();
    return purged;
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

  /** Releases every module's images and unmaps the pool. Idempotent. */
  @Override
  public void close() {
    memoryPool.close(); // first: if a lease is busy it throws, and the plans stay for a retry
    ModulePlan[] all;
    synchronized (plans) {
      all = plans.values().toArray(new ModulePlan[0]);
      plans.clear();
    }
    for (ModulePlan plan : all) {
      plan.close();
    }
    PoolMBean registered = mbean;
    if (registered != null) {
      registered.unregister();
    }
  }

  private ModulePlan plan(WasmModule module) {
    synchronized (plans) {
      ModulePlan plan = plans.get(module);
      if (plan != null) {
        return plan;
      }
    }
    ModulePlan created = ModulePlan.create(module);
    synchronized (plans) {
      ModulePlan raced = plans.putIfAbsent(module, created);
      if (raced == null) {
        return created;
      }
      created.close();
      return raced;
    }
  }

  /** The memories leased for one instantiation, in the order Chicory asked for them. */
  private final class Leases {
    private final ModulePlan plan;
    PooledLinearMemory[] memories = new PooledLinearMemory[0];

    Leases(ModulePlan plan) {
      this.plan = plan;
    }

    Memory create(MemoryLimits limits) {
      int index = memories.length;
      MemoryPlan memoryPlan = plan.memory(index);
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
      // The image fits unless a customizer shrank the initial size; then copy, without affinity.
      boolean useImage = memoryPlan.image() != null && memoryPlan.imageExtent() <= initialBytes;
      Object key = (useImage || memoryPlan.image() == null) ? memoryPlan.key() : null;
      PooledMemory lease =
          memoryPool.allocate(key, useImage ? memoryPlan.image() : null, initialBytes);
      var memory = new PooledLinearMemory(lease, limits, memoryPlan, useImage);
      var grown = java.util.Arrays.copyOf(memories, index + 1);
      grown[index] = memory;
      memories = grown;
      return memory;
    }

    void releaseAll(Throwable cause) {
      for (PooledLinearMemory memory : memories) {
        try {
          memory.release();
        } catch (RuntimeException e) {
          cause.addSuppressed(e);
        }
      }
    }
  }

  /**
   * Configures a {@link WasmInstancePool}; each setting is passed to {@link MemoryPool.Builder}
   * (see it for the defaults and ranges).
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    private final MemoryPool.Builder memory = MemoryPool.builder();
    private String jmxName;

    private Builder() {}

    /**
     * Registers the pool's statistics as a JMX MBean named {@code
     * dev.slotpool:type=WasmInstancePool,name=NAME} in the platform MBean server (default: none).
     * {@link WasmInstancePool#close()} unregisters it; {@link PoolMBean} lists its attributes.
     */
    public Builder jmxName(String name) {
      this.jmxName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** The number of slots: the most memories in use at once. */
    public Builder slots(int slots) {
      memory.slots(slots);
      return this;
    }

    /** The most bytes one memory can grow to (a page multiple). */
    public Builder maxMemoryBytes(long maxMemoryBytes) {
      memory.maxMemoryBytes(maxMemoryBytes);
      return this;
    }

    /** Inaccessible bytes after each slot. */
    public Builder guardBytes(long guardBytes) {
      memory.guardBytes(guardBytes);
      return this;
    }

    /** Bytes at the start of a slot that a reset restores by hand and keeps resident. */
    public Builder keepResidentBytes(long keepResidentBytes) {
      memory.keepResidentBytes(keepResidentBytes);
      return this;
    }

    /** How many warm slots may accumulate before allocations evict them. */
    public Builder maxUnusedWarmSlots(int maxUnusedWarmSlots) {
      memory.maxUnusedWarmSlots(maxUnusedWarmSlots);
      return this;
    }

    /** How many released slots to decommit in one pass. */
    public Builder decommitBatchSize(int decommitBatchSize) {
      memory.decommitBatchSize(decommitBatchSize);
      return this;
    }

    /** Whether resets use {@code PAGEMAP_SCAN} where the kernel has it. */
    public Builder usePagemapScan(boolean usePagemapScan) {
      memory.usePagemapScan(usePagemapScan);
      return this;
    }

    /**
     * Whether each instance's memories are confined to the thread that instantiated it (default
     * false). Confined memories are much faster to return to the pool, since closing a shared one
     * makes every JVM thread pass a handshake, which costs more than the rest of a warm
     * instantiation; but only that thread may then run the instance and close it (others get {@link
     * WrongThreadException}). The right choice for one instance per request on one (possibly
     * virtual) thread.
     */
    public Builder threadConfined(boolean threadConfined) {
      memory.threadConfined(threadConfined);
      return this;
    }

    /**
     * Reserves the pool's memory.
     *
     * @throws IllegalArgumentException if a setting is out of range
     * @throws dev.slotpool.memory.NativeMemoryException if the reservation fails
     */
    public WasmInstancePool build() {
      if (jmxName != null) {
        PoolMBean.objectName(TYPE, jmxName); // a malformed name fails before reserving
      }
      var pool = new WasmInstancePool(memory.build());
      if (jmxName != null) {
        MemoryPool m = pool.memoryPool;
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("MaxMemoryBytes", m.maxMemoryBytes());
        settings.put("GuardBytes", m.guardBytes());
        settings.put("KeepResidentBytes", m.keepResidentBytes());
        settings.put("ThreadConfined", m.threadConfined());
        settings.put("UsesPagemapScan", m.usesPagemapScan());
        try {
          pool.mbean = PoolMBean.register(TYPE, jmxName, m::stats, settings);
        } catch (RuntimeException e) {
          pool.close(); // a duplicate name leaves nothing mapped
          throw e;
        }
      }
      return pool;
    }

    private static final String TYPE = "WasmInstancePool";
  }
}
