package dev.slotpool.memory;

import dev.slotpool.memory.internal.Libc;
import dev.slotpool.memory.internal.ResidentBudget;
import java.time.Duration;
import java.util.Objects;

/**
 * The setters that {@link MemoryPool.Builder} and {@code WasmInstancePool.Builder} share: one per
 * component of {@link PoolSettings}, which holds each setting's default, range and full
 * description, and {@code jmxName}. Being one class, the two builders cannot drift apart.
 *
 * <p>Not thread-safe.
 *
 * @param <B> the builder's own type, which every setter returns
 */
public abstract class PoolBuilder<B extends PoolBuilder<B>> {
  /*
   * Implementation notes.
   *
   * The fields hold what the user set; a setting that is not set keeps its default, and the three
   * defaults that depend on other settings or on the machine (keepResidentBytes, the budget,
   * maxUnusedWarmSlots) are filled in by settings(). Nothing is checked before settings(), so the
   * order of the setter calls never matters; PoolSettings' constructor does every check.
   */

  private int slots = PoolSettings.DEFAULT_SLOTS;
  private long maxMemoryBytes = PoolSettings.DEFAULT_MAX_MEMORY_BYTES;
  private long guardBytes = PoolSettings.DEFAULT_GUARD_BYTES;
  private long keepResidentBytes;
  private boolean fixedKeepResident;
  private long residentBudgetBytes;
  private boolean budgetSet;
  private int maxUnusedWarmSlots;
  private boolean maxUnusedWarmSlotsSet;
  private int decommitBatchSize = 1;
  private boolean usePagemapScan = true;
  private boolean threadConfined = true;
  private boolean recordAllocationSites;
  private Duration maxWait = PoolSettings.DEFAULT_MAX_WAIT;
  private String jmxName;

  /** For {@link MemoryPool.Builder} and {@code WasmInstancePool.Builder}. */
  protected PoolBuilder() {}

  /**
   * Registers the pool's statistics as a JMX MBean named {@code dev.slotpool:type=TYPE,name=NAME}
   * in the platform MBean server, where {@code TYPE} is {@code MemoryPool} or {@code
   * WasmInstancePool} (default: none, nothing is registered). Closing the pool unregisters it. See
   * {@link PoolMBean} for its attributes.
   */
  public B jmxName(String name) {
    this.jmxName = Objects.requireNonNull(name, "name");
    return self();
  }

  /** The number of slots (default 1,000): {@link PoolSettings#slots()}. */
  public B slots(int slots) {
    this.slots = slots;
    return self();
  }

  /**
   * The most bytes one slot's memory can grow to, a page multiple (default 2 GiB): {@link
   * PoolSettings#maxMemoryBytes()}.
   */
  public B maxMemoryBytes(long maxMemoryBytes) {
    this.maxMemoryBytes = maxMemoryBytes;
    return self();
  }

  /**
   * Inaccessible bytes after each slot, a page multiple, possibly 0 (default 64 KiB): {@link
   * PoolSettings#guardBytes()}.
   */
  public B guardBytes(long guardBytes) {
    this.guardBytes = guardBytes;
    return self();
  }

  /**
   * Selects the fixed keep-resident mode: a reset keeps at most the first {@code keepResidentBytes}
   * (rounded up to a page) of each slot resident and drops the rest. Without this call the pool is
   * adaptive: a reset keeps every page the lease wrote, within {@link #residentBudgetBytes}. See
   * {@link PoolSettings#keepResidentBytes()}.
   */
  public B keepResidentBytes(long keepResidentBytes) {
    this.keepResidentBytes = keepResidentBytes;
    this.fixedKeepResident = true;
    return self();
  }

  /**
   * The most bytes the unused (warm) slots may keep resident together (default: a sixteenth of the
   * machine's or cgroup's memory, at most what the slots can keep): {@link
   * PoolSettings#residentBudgetBytes()}.
   */
  public B residentBudgetBytes(long residentBudgetBytes) {
    this.residentBudgetBytes = residentBudgetBytes;
    this.budgetSet = true;
    return self();
  }

  /**
   * How many warm slots may accumulate before an allocation evicts one rather than take a cold slot
   * (default: {@code slots}): {@link PoolSettings#maxUnusedWarmSlots()}.
   */
  public B maxUnusedWarmSlots(int maxUnusedWarmSlots) {
    this.maxUnusedWarmSlots = maxUnusedWarmSlots;
    this.maxUnusedWarmSlotsSet = true;
    return self();
  }

  /**
   * How many released slots to collect before dropping their pages in one pass (default 1: at
   * once): {@link PoolSettings#decommitBatchSize()}.
   */
  public B decommitBatchSize(int decommitBatchSize) {
    this.decommitBatchSize = decommitBatchSize;
    return self();
  }

  /**
   * Whether resets use {@code PAGEMAP_SCAN} to restore only written pages where the kernel has it
   * (default true): {@link PoolSettings#usePagemapScan()}.
   */
  public B usePagemapScan(boolean usePagemapScan) {
    this.usePagemapScan = usePagemapScan;
    return self();
  }

  /** For {@link MemoryPool.Builder#threadConfined}, the one builder that has the setting. */
  final void setThreadConfined(boolean threadConfined) {
    this.threadConfined = threadConfined;
  }

  /**
   * Whether each allocation records its stack, to log where a lease that was never closed came from
   * (default false): {@link PoolSettings#recordAllocationSites()}.
   */
  public B recordAllocationSites(boolean recordAllocationSites) {
    this.recordAllocationSites = recordAllocationSites;
    return self();
  }

  /**
   * How long an allocation or instantiation that names no wait of its own ({@link
   * MemoryPool#allocate(Object, MemoryImage, long)}, {@code WasmInstancePool.instantiate(module)})
   * waits for a slot when every slot is in use (default 30 seconds; {@link Duration#ZERO} fails at
   * once): {@link PoolSettings#maxWait()}.
   */
  public B maxWait(Duration maxWait) {
    this.maxWait = Objects.requireNonNull(maxWait, "maxWait");
    return self();
  }

  /**
   * The settings this builder holds, defaults filled in and checked; reserves nothing.
   *
   * @throws IllegalArgumentException if a setting is out of range (the message names it)
   */
  public PoolSettings settings() {
    long keep = fixedKeepResident ? keepResidentBytes : maxMemoryBytes;
    long budget = residentBudgetBytes;
    if (!budgetSet) {
      long page = Libc.pageSize();
      long kept = keep >= 0 && keep <= Long.MAX_VALUE - page ? (keep + page - 1) & -page : keep;
      long ceiling = slots > 0 && kept <= Long.MAX_VALUE / slots ? slots * kept : Long.MAX_VALUE;
      budget = ResidentBudget.defaultBudget(Math.max(0, ceiling));
    }
    return new PoolSettings(
        slots,
        maxMemoryBytes,
        guardBytes,
        fixedKeepResident ? ResidentMode.FIXED : ResidentMode.ADAPTIVE,
        keep,
        budget,
        maxUnusedWarmSlotsSet ? maxUnusedWarmSlots : slots,
        decommitBatchSize,
        usePagemapScan,
        threadConfined,
        recordAllocationSites,
        maxWait);
  }

  /** The name given to {@link #jmxName}, or null. */
  protected final String jmxName() {
    return jmxName;
  }

  /**
   * Checks the settings and reserves a {@link MemoryPool} with them, registered as an MBean of
   * {@code mbeanType} if a {@link #jmxName} was given and {@code mbeanType} is not null.
   *
   * @throws IllegalArgumentException if a setting or the name is out of range
   * @throws NativeMemoryException if the reservation fails (nothing is left mapped)
   * @throws UnsupportedOperationException if this is not Linux
   */
  protected final MemoryPool buildMemoryPool(String mbeanType) {
    if (!Libc.isLinux()) {
      throw new UnsupportedOperationException(
          "MemoryPool needs Linux (mmap, madvise, memfd_create); this is "
              + System.getProperty("os.name"));
    }
    PoolSettings settings = settings();
    String name = mbeanType == null ? null : jmxName;
    if (name != null) {
      PoolMBean.objectName(mbeanType, name); // a malformed name fails before reserving
    }
    return MemoryPool.create(settings, name);
  }

  @SuppressWarnings("unchecked") // B is this class's own type, as the type parameter says
  private B self() {
    return (B) this;
  }
}
