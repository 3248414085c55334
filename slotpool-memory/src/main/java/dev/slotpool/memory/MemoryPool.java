package dev.slotpool.memory;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.index.AllocatorStats;
import dev.slotpool.memory.internal.Libc;
import dev.slotpool.memory.internal.Lifecycle;
import dev.slotpool.memory.internal.Mapping;
import dev.slotpool.memory.internal.Pagemap;
import dev.slotpool.memory.internal.PoolScopedLeases;
import dev.slotpool.memory.internal.ResidentBudget;
import dev.slotpool.memory.internal.SlotMemory;
import dev.slotpool.memory.internal.SlotReturns;
import dev.slotpool.memory.internal.Smaps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fixed number of memory slots carved out of one virtual-memory reservation, handed out as {@link
 * PooledMemory} leases that remember what they held: Wasmtime's pooling memory allocator for the
 * JVM.
 *
 * <p>Each slot is {@code maxMemoryBytes} of address space followed by {@code guardBytes} that are
 * never accessible. {@link #allocate(Object, MemoryImage, long) allocate(key, image, bytes)} picks
 * a slot with a {@link dev.slotpool.index.AffinityIndexAllocator}, preferring a warm slot last used
 * for an equal {@code key}; maps the image copy-on-write into it unless the slot already holds it;
 * and makes the first {@code bytes} accessible. Closing the lease resets the slot. By default the
 * reset is <em>adaptive</em>: every page the lease wrote, including pages its memory grew into, is
 * restored by hand (copied back from the image or zeroed) and stays resident, so the next lease of
 * the slot, typically the same module again, touches the same pages without a single page fault.
 * Where the kernel supports {@code PAGEMAP_SCAN} (Linux 6.7+) only the pages actually written are
 * restored; elsewhere the whole range the slot has had accessible is. A pool-wide resident budget
 * ({@link Builder#residentBudgetBytes}) bounds what the unused slots keep: when a release would
 * exceed it, the coldest warm slots (the least recently released) are decommitted first. {@link
 * Builder#keepResidentBytes} selects the fixed mode instead: a slot keeps at most that many bytes
 * and the rest is dropped with {@code madvise(MADV_DONTNEED)}, in batches of {@code
 * decommitBatchSize} slots (Wasmtime's knob).
 *
 * <p>Isolation: no byte written through one lease is ever visible through a later lease of the same
 * slot, whatever the keys, images, sizes and growth. A lease of a key with an image always starts
 * with exactly the image's contents, zero elsewhere.
 *
 * <p>Thread-safe: {@code allocate}, {@code purge}, {@code stats} and the leases' {@code close} may
 * be called from any thread at any time. A lease's reset happens-before the allocation that next
 * returns its slot. {@link #close()} unmaps the whole reservation: it waits for releases and purges
 * in progress, and invalidates the leases' segments first, so a late access throws instead of
 * crashing. It must not race with {@code allocate}.
 *
 * <p>Leases are confined to the thread that allocated them by default ({@link
 * Builder#threadConfined(boolean)}): their segments work on that thread only (any other thread gets
 * {@link WrongThreadException}, so a stale segment on another thread can never reach the slot's
 * next user), only that thread may close them, and closing one costs no JVM-wide handshake. With
 * {@code threadConfined(false)} leases are shared: any thread may use and close them, and each
 * release pays a handshake with every JVM thread (tens to hundreds of microseconds on a busy
 * machine).
 *
 * <p>Linux only (x86-64 and AArch64): it calls libc through the FFM API and needs native access
 * ({@code --enable-native-access=dev.slotpool.memory}, or {@code ALL-UNNAMED} on the class path).
 * Resets use {@code PAGEMAP_SCAN} on Linux 6.7+ and fall back to restoring the whole range kept
 * resident elsewhere; memory images are {@code memfd_create} files (Linux 3.17+).
 */
// Restricted FFM methods (downcalls, reinterpret) are the point of this layer: callers grant
// native access to the module (or ALL-UNNAMED on the class path).
@SuppressWarnings("restricted")
public final class MemoryPool implements AutoCloseable {
  /*
   * Implementation notes.
   *
   * SlotMemory owns the native side (reservation, mapping, protection, reset; its notes describe
   * the layout and the reset); this class decides which slot, which image, and when a slot is free.
   * The per-slot work of allocation, release, purge and close below is SlotLeases' code, called
   * under the lifecycle locks taken here; BuilderChecks holds the settings' checks, SlotTable the
   * per-slot bookkeeping, LeaseRecord what the pool keeps of each lease.
   *
   * Ownership: the index allocator hands a slot to exactly one thread until it is freed, and its
   * lock orders a free before the next alloc of the slot, so the per-slot state (here slotImage,
   * slotKey, everUsed, leases; in SlotMemory what is mapped and resident) is read and written only
   * by the slot's owner, without further locking. SlotReturns owns released slots until the
   * allocator has them back (batched decommit, waiters).
   *
   * Allocation: the same image already in place costs nothing (reused() if the key matches too); a
   * different image costs SlotMemory.clear and mapImage, two mmap calls; a different size one
   * mprotect. Images are held: each slot that maps one keeps a hold, dropped when the slot maps
   * something else, is purged, or the pool closes.
   *
   * Release: the lease's arena is closed first, so no segment can reach the slot; then SlotMemory
   * resets it (adaptive: keepResidentBytes is the whole slot, so every written page is restored
   * and kept) and says from where the rest must be decommitted; ResidentBudget reserves room for
   * what stays, decommitting the coldest warm slots first, and may lower that cutoff; the
   * decommit is done at once, or queued for a batch; only then do the budget's list and
   * allocator.free learn the slot and its resident bytes. prepare and purge claim a slot from the
   * budget before touching it, which waits out a budget decommit of that slot in progress.
   * stats().residentBytes is the budget's count, not the allocator's (which does not see budget
   * decommits of warm slots).
   *
   * Closing: release, purge and flushDecommits write into the reservation (copies, madvise,
   * mmap MAP_FIXED), so they hold lifecycle's read lock and check unmapped under it; close()
   * takes the write lock to invalidate the leases and unmap. Without it a release running on
   * another thread could copy into, or MAP_FIXED over, an address range the reservation no longer
   * owns. A close that finds a busy lease unmaps nothing and releases the leases it did
   * invalidate, so no slot is lost to the failed attempt.
   *
   * Invariants: every page of a free slot reads as its image (or zero); slotImage[s] != null
   * implies the slot holds one of that image's holds.
   */

  private final int slots;
  private final long maxMemoryBytes;
  private final long guardBytes;
  private final long keepResidentBytes;
  private final boolean adaptive;
  private final int decommitBatchSize;
  private final boolean pagemapScan;
  private final boolean threadConfined;
  private final SlotMemory memory;
  private final ResidentBudget budget;
  private final Cleaner.Cleanable cleanable;
  private final PoolMBean mbean; // null unless the builder named the pool
  private final SlotTable table;
  private final SlotReturns returns;
  private final Lifecycle lifecycle;
  private final SlotLeases leases;

  private final AtomicLong failedAllocations = new AtomicLong();
  private final AtomicLong waits = new AtomicLong();

  /** For pool-scoped leases (see PoolScopedLeases): the reservation in a pool-lifetime arena. */
  private final Arena scopeArena;

  private final MemorySegment scopedReservation;

  static {
    PoolScopedLeases.install(
        builder -> {
          builder.poolScoped = true;
          return builder.build();
        });
  }

  private MemoryPool(Builder b) {
    long page = Libc.pageSize();
    this.slots = b.slots;
    this.maxMemoryBytes = b.maxMemoryBytes;
    this.guardBytes = b.guardBytes;
    this.adaptive = !b.fixedKeepResident;
    this.keepResidentBytes = adaptive ? b.maxMemoryBytes : (b.keepResidentBytes + page - 1) & -page;
    this.decommitBatchSize = b.decommitBatchSize;
    this.pagemapScan = b.pagemapScan && Pagemap.isAvailable();
    this.threadConfined = b.threadConfined;
    AffinityIndexAllocator<Object> allocator =
        new AffinityIndexAllocator<>(
            slots, b.maxUnusedWarmSlots < 0 ? slots : b.maxUnusedWarmSlots);
    this.memory = new SlotMemory(slots, b.maxMemoryBytes, b.guardBytes);
    this.table = new SlotTable(slots, memory);
    long ceiling = Math.multiplyExact((long) slots, keepResidentBytes);
    this.budget =
        new ResidentBudget(
            slots, b.budgetSet ? b.residentBudgetBytes : ResidentBudget.defaultBudget(ceiling));
    this.returns = new SlotReturns(allocator, memory, budget, decommitBatchSize);
    this.cleanable = Mapping.CLEANER.register(this, memory.reservation());
    if (b.poolScoped) {
      // The cleanup action refers to this pool: while any segment of the arena is reachable, so
      // is the pool, and its cleaner cannot unmap what the segment points to.
      this.scopeArena = Arena.ofShared();
      this.scopedReservation =
          MemorySegment.ofAddress(memory.base())
              .reinterpret(memory.reservationBytes(), scopeArena, segment -> keepReachable());
    } else {
      this.scopeArena = null;
      this.scopedReservation = null;
    }
    this.lifecycle = new Lifecycle(this, this::terminate);
    this.leases =
        new SlotLeases(
            this,
            keepResidentBytes,
            adaptive,
            pagemapScan,
            threadConfined,
            b.recordAllocationSites,
            memory,
            budget,
            allocator,
            table,
            returns,
            lifecycle);
    try {
      this.mbean =
          b.jmxName == null
              ? null
              : PoolMBean.register("MemoryPool", b.jmxName, this::stats, settings());
    } catch (RuntimeException e) {
      cleanable.clean(); // a duplicate name leaves nothing mapped
      throw e;
    }
  }

  /** The fixed settings a JMX client sees beside the statistics. */
  Map<String, Object> settings() {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("MaxMemoryBytes", maxMemoryBytes);
    settings.put("GuardBytes", guardBytes);
    settings.put("KeepResidentBytes", keepResidentBytes);
    settings.put("ThreadConfined", threadConfined);
    settings.put("UsesPagemapScan", pagemapScan);
    return settings;
  }

  /** Starts configuring a pool. */
  public static Builder builder() {
    return new Builder();
  }

  /** The size of a virtual-memory page on this machine, to which every size is rounded. */
  public static long pageSize() {
    return Libc.pageSize();
  }

  /**
   * Leases a slot for {@code key}, starting with {@code image}'s contents (or zeros) and {@code
   * initialBytes} accessible. Fails at once if no slot is free.
   *
   * @param key the affinity key (for example a module's memory), or {@code null} for none
   * @param image the initial contents, or {@code null} for zeros
   * @param initialBytes the accessible size, from {@code image.byteSize()} (or 0) to {@code
   *     maxMemoryBytes}
   * @throws PoolExhaustedException if every slot is in use
   * @throws IllegalArgumentException if {@code initialBytes} is out of range
   * @throws IllegalStateException if this pool or {@code image} is closed (nothing is taken)
   * @throws NativeMemoryException if mapping the image or making the bytes accessible fails (the
   *     slot goes back to the pool)
   */
  public PooledMemory allocate(Object key, MemoryImage image, long initialBytes) {
    checkAllocation(image, initialBytes);
    long stamp = lifecycle.enterOpen();
    try {
      int slot = leases.tryAllocHolding(key, image);
      if (slot == AffinityAllocator.NO_SLOT) {
        failedAllocations.incrementAndGet();
        throw exhausted("no timeout given");
      }
      return leases.prepare(slot, key, image, initialBytes);
    } finally {
      lifecycle.exit(stamp);
    }
  }

  /**
   * As {@link #allocate(Object, MemoryImage, long)}, but waits up to {@code timeout} for a slot to
   * be released when every slot is in use. A timeout too long to count in nanoseconds waits without
   * a limit; a negative one does not wait.
   *
   * @throws PoolExhaustedException if no slot was released in time
   * @throws InterruptedException if the thread is interrupted while waiting
   * @throws IllegalStateException if this pool is closed, also while waiting (nothing is taken)
   */
  public PooledMemory allocate(Object key, MemoryImage image, long initialBytes, Duration timeout)
      throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    checkAllocation(image, initialBytes);
    long start = System.nanoTime();
    long timeoutNanos = saturatedNanos(timeout);
    boolean waited = false;
    while (true) {
      long seen = returns.version();
      long stamp = lifecycle.enterOpen();
      try {
        int slot = leases.tryAllocHolding(key, image);
        if (slot != AffinityAllocator.NO_SLOT) {
          return leases.prepare(slot, key, image, initialBytes);
        }
      } finally {
        lifecycle.exit(stamp);
      }
      if (!waited && timeoutNanos > 0) {
        waited = true;
        waits.incrementAndGet(); // once per call that had to wait, whatever it then got
      }
      // Wait without the lifecycle lock, so that close() and purge() are never held up by it.
      if (!returns.awaitChange(seen, start, timeoutNanos, lifecycle::checkOpen)) {
        failedAllocations.incrementAndGet();
        throw exhausted("waited " + timeout);
      }
    }
  }

  /**
   * Strips {@code key}'s affinity from every warm slot and unmaps the images they held, as a
   * runtime does when it unloads a module. Leases of {@code key} still open are left alone until
   * they close; then their slots are freed without affinity and drop their images too.
   *
   * <p>A purge excludes allocations and releases while it runs (they wait, they do not fail): the
   * slots it unmaps are never seen as in use by a concurrent allocation.
   *
   * @return how many warm slots were purged
   * @throws NullPointerException if {@code key} is null
   * @throws IllegalStateException if this pool is closed
   */
  public int purge(Object key) {
    Objects.requireNonNull(key, "key");
    long stamp = lifecycle.enterExclusive();
    try {
      return leases.purgeWarm(key);
    } finally {
      lifecycle.exitExclusive(stamp);
    }
  }

  /** Performs every queued decommit now, making those slots available. */
  public void flushDecommits() {
    long stamp = lifecycle.enterMapped();
    try {
      if (stamp != 0) {
        returns.flush();
      }
    } finally {
      lifecycle.exit(stamp);
    }
  }

  /** A snapshot of this pool's counters, in O(1). */
  public PoolStats stats() {
    SlotReturns.Snapshot snapshot = returns.snapshot();
    AllocatorStats a = snapshot.allocator();
    int pending = snapshot.pending();
    return new PoolStats(
        slots,
        a.inUse() - pending,
        a.unusedWarmSlots(),
        pending,
        budget.residentBytes(),
        a.affinityHits(),
        a.affinityMisses(),
        a.coldAllocations(),
        a.warmEvictions(),
        failedAllocations.get(),
        leases.imageMappings(),
        returns.decommits(),
        returns.batches(),
        leases.leakedLeases(),
        adaptive ? ResidentMode.ADAPTIVE : ResidentMode.FIXED,
        budget.budgetBytes(),
        memory.copiedBytes(),
        memory.zeroedBytes(),
        returns.decommitBytes(),
        budget.decommits(),
        budget.decommitBytes(),
        waits.get());
  }

  /** The number of slots. */
  public int slots() {
    return slots;
  }

  /** The most bytes one slot's memory can grow to. */
  public long maxMemoryBytes() {
    return maxMemoryBytes;
  }

  /** The inaccessible bytes after each slot. */
  public long guardBytes() {
    return guardBytes;
  }

  /**
   * The most bytes a reset keeps resident in one slot: the fixed mode's {@link
   * Builder#keepResidentBytes}, or {@code maxMemoryBytes} in the adaptive mode.
   */
  public long keepResidentBytes() {
    return keepResidentBytes;
  }

  /** What resets keep resident: adaptive (the default) or a fixed prefix per slot. */
  public ResidentMode residentMode() {
    return adaptive ? ResidentMode.ADAPTIVE : ResidentMode.FIXED;
  }

  /** The most bytes the warm slots keep resident together ({@link Builder#residentBudgetBytes}). */
  public long residentBudgetBytes() {
    return budget.budgetBytes();
  }

  /** Whether leases are confined to their allocating thread ({@link Builder#threadConfined}). */
  public boolean threadConfined() {
    return threadConfined;
  }

  /** Whether resets use {@code PAGEMAP_SCAN} to restore only the pages written. */
  public boolean usesPagemapScan() {
    return pagemapScan;
  }

  /**
   * Reads {@code /proc/self/smaps} and returns the resident bytes ({@code Rss}) of this pool's
   * reservation: the figure that {@link PoolStats#residentBytes()} predicts for warm slots, plus
   * whatever the leases in use have touched. Slow (it parses the whole file); for tests, benchmarks
   * and diagnostics.
   *
   * @throws java.io.UncheckedIOException if the file cannot be read
   * @throws IllegalStateException if this pool is closed
   */
  public long measureResidentBytes() {
    lifecycle.checkOpen();
    return Smaps.residentBytes(memory.base(), memory.base() + memory.reservationBytes());
  }

  /**
   * Closes the pool: every later call of {@code allocate} or {@code purge} throws {@link
   * IllegalStateException} having taken nothing, and allocations waiting for a slot wake and throw
   * it too. It waits for the allocations, releases and purges in flight, invalidates every open
   * lease it can from this thread (their segments throw from now on), releases the images the slots
   * hold and unmaps the reservation. Idempotent; it never throws.
   *
   * <p>A lease it cannot invalidate (one {@linkplain Builder#threadConfined confined} to another
   * thread, or one whose segment a native call holds) stays usable by its owner, and the
   * reservation stays mapped for it: it is unmapped when the last such lease is closed, or is
   * reclaimed as unreachable. No segment ever points into unmapped memory. Calling {@code close()}
   * again, for example from the owner's thread, invalidates what it can then.
   *
   * @see #isTerminated()
   */
  @Override
  public void close() {
    lifecycle.close(returns::signalAll, leases::invalidateLeases);
    if (mbean != null) {
      mbean.unregister();
    }
  }

  /**
   * Whether the pool is closed and its reservation unmapped: no lease is outstanding any more.
   * False while a lease that {@link #close()} could not invalidate is still open.
   */
  public boolean isTerminated() {
    return lifecycle.isTerminated();
  }

  @Override
  public String toString() {
    return "MemoryPool[slots="
        + slots
        + ", maxMemoryBytes="
        + maxMemoryBytes
        + ", mode="
        + residentMode()
        + ", keepResidentBytes="
        + keepResidentBytes
        + ", residentBudgetBytes="
        + budget.budgetBytes()
        + (lifecycle != null && lifecycle.isClosed() ? ", closed]" : "]");
  }

  // ---- allocation --------------------------------------------------------------------------

  private void checkAllocation(MemoryImage image, long initialBytes) {
    lifecycle.checkOpen();
    long imageBytes = image == null ? 0 : image.byteSize();
    if (initialBytes < imageBytes || initialBytes > maxMemoryBytes) {
      throw new IllegalArgumentException(
          "initialBytes: "
              + initialBytes
              + " (expected: image size "
              + imageBytes
              + " <= initialBytes <= maxMemoryBytes "
              + maxMemoryBytes
              + ")");
    }
  }

  private PoolExhaustedException exhausted(String detail) {
    return new PoolExhaustedException(slots, stats().inUse(), detail);
  }

  /** Changes the slot's accessible size; called by the slot's owner (its lease's grow). */
  void makeAccessible(int slot, long bytes) {
    memory.makeAccessible(slot, bytes, true); // a grow never takes pages away
  }

  /** Resets the slot of a lease whose arena is closed (or unreachable), and returns it. */
  void release(LeaseRecord record, long byteSize) {
    leases.release(record, byteSize);
  }

  /** The cleaner found a lease unreachable unclosed: nobody can reach its memory, so release it. */
  void reclaim(LeaseRecord record) {
    leases.reclaim(record);
  }

  // ---- release -----------------------------------------------------------------------------

  // ---- closing -----------------------------------------------------------------------------

  /** Releases the images and unmaps the reservation; once, under the write lock, no lease left. */
  private void terminate() {
    if (scopeArena != null) {
      scopeArena.close(); // one handshake: a stale pool-scoped segment throws from now on
    }
    table.releaseAllImages();
    cleanable.clean();
  }

  /** The reservation as one segment of a pool-lifetime arena, for pool-scoped leases; or null. */
  MemorySegment poolScopedReservation() {
    return scopedReservation;
  }

  private void keepReachable() {
    Objects.requireNonNull(memory);
  }

  private static long saturatedNanos(Duration timeout) {
    if (timeout.isNegative()) {
      return 0;
    }
    try {
      return timeout.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE; // longer than the JVM will run
    }
  }

  /**
   * Configures a {@link MemoryPool}. Sizes are in bytes and must be multiples of {@link
   * MemoryPool#pageSize()}.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    int slots = 16;
    long maxMemoryBytes = 64L << 20;
    long guardBytes = 64L << 10;
    long keepResidentBytes;
    boolean fixedKeepResident;
    long residentBudgetBytes;
    boolean budgetSet;
    int maxUnusedWarmSlots = -1; // -1: as many as slots
    int decommitBatchSize = 1;
    boolean pagemapScan = true;
    boolean threadConfined = true;
    boolean poolScoped; // set only through PoolScopedLeases
    boolean recordAllocationSites;
    String jmxName;

    Builder() {}

    /**
     * Registers the pool's statistics as a JMX MBean named {@code
     * dev.slotpool:type=MemoryPool,name=NAME} in the platform MBean server (default: none, nothing
     * is registered). {@link MemoryPool#close()} unregisters it. See {@link PoolMBean} for its
     * attributes.
     */
    public Builder jmxName(String name) {
      this.jmxName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** The number of slots (default 16). */
    public Builder slots(int slots) {
      this.slots = slots;
      return this;
    }

    /** The most bytes one slot's memory can grow to, a page multiple (default 64 MiB). */
    public Builder maxMemoryBytes(long maxMemoryBytes) {
      this.maxMemoryBytes = maxMemoryBytes;
      return this;
    }

    /** Inaccessible bytes after each slot, a page multiple, possibly 0 (default 64 KiB). */
    public Builder guardBytes(long guardBytes) {
      this.guardBytes = guardBytes;
      return this;
    }

    /**
     * Selects the fixed keep-resident mode: a reset keeps at most the first {@code
     * keepResidentBytes} (rounded up to a page) of each slot resident, restored by hand, and drops
     * the rest with {@code madvise(MADV_DONTNEED)}; 0 drops everything, so that every page a lease
     * touches faults again in the next one. Without this call the pool is adaptive: a reset keeps
     * every page the lease wrote, within {@link #residentBudgetBytes}. The budget bounds the fixed
     * mode too, if it is set lower than {@code slots * keepResidentBytes}.
     */
    public Builder keepResidentBytes(long keepResidentBytes) {
      this.keepResidentBytes = keepResidentBytes;
      this.fixedKeepResident = true;
      return this;
    }

    /**
     * The most bytes the unused (warm) slots may keep resident together. When a release would
     * exceed it, the coldest warm slots (the least recently released) are decommitted first; they
     * stay warm, with their affinity and image, and fault their pages in again on next use. If that
     * is still not enough, the releasing slot keeps only what fits. 0 keeps nothing resident.
     *
     * <p>Default: a sixteenth of the memory this process may use ({@code MemTotal} in {@code
     * /proc/meminfo}, or the cgroup's {@code memory.max} if lower; 1 GiB if neither can be read),
     * and at most what the slots could keep ({@code slots * maxMemoryBytes}, or {@code slots *
     * keepResidentBytes} in the fixed mode). Warm pages are a cache that makes the next lease of a
     * slot fault-free, not memory anyone uses: a sixteenth leaves the machine to the heap (the JVM
     * takes a quarter by default) and the programs themselves, while holding the working sets of
     * many warm modules (a 1 MiB working set times a thousand slots on a 16 GiB machine). Set it to
     * what the host can spare.
     */
    public Builder residentBudgetBytes(long residentBudgetBytes) {
      this.residentBudgetBytes = residentBudgetBytes;
      this.budgetSet = true;
      return this;
    }

    /**
     * How many warm slots may accumulate before an allocation without a warm slot of its own evicts
     * the least recently used warm slot rather than taking a cold one (default: {@code slots}).
     */
    public Builder maxUnusedWarmSlots(int maxUnusedWarmSlots) {
      this.maxUnusedWarmSlots = maxUnusedWarmSlots;
      return this;
    }

    /**
     * How many released slots to collect before dropping their pages in one pass (default 1: at
     * once). Queued slots are not available until their batch is flushed, which also happens when
     * an allocation would otherwise fail.
     */
    public Builder decommitBatchSize(int decommitBatchSize) {
      this.decommitBatchSize = decommitBatchSize;
      return this;
    }

    /**
     * Whether to use {@code PAGEMAP_SCAN} to reset only written pages where the kernel has it
     * (default true). With false, or on older kernels, a reset restores by hand all of the range it
     * keeps resident (in the adaptive mode, everything the slot has had accessible; in the fixed
     * mode, the first {@code keepResidentBytes}) and drops the rest.
     */
    public Builder usePagemapScan(boolean usePagemapScan) {
      this.pagemapScan = usePagemapScan;
      return this;
    }

    /**
     * Whether each lease is confined to the thread that allocated it (default true).
     *
     * <p>Confined (true): the lease's segments work on the allocating thread only; on any other
     * thread every access throws {@link WrongThreadException}, so a stale segment held elsewhere (a
     * watchdog, a leaked reference) can never read or write the slot's next user's bytes. Only the
     * allocating thread may {@link PooledMemory#close()} the lease; from another thread {@code
     * close} throws {@link WrongThreadException} and the lease stays open. Closing costs no
     * JVM-wide handshake. Suits a runtime that runs each instance on one thread.
     *
     * <p>Shared (false): any thread may use the segments and close the lease. Closing a shared
     * arena makes every JVM thread pass a handshake before the slot is reset, tens of microseconds
     * on an idle machine and hundreds under load, paid on every release; after it, every segment of
     * the lease throws {@link IllegalStateException} on every thread.
     */
    public Builder threadConfined(boolean threadConfined) {
      this.threadConfined = threadConfined;
      return this;
    }

    /**
     * Whether each allocation records where it happened, so that a lease found unreachable without
     * having been closed is reported with its allocation site through {@link System.Logger} (at
     * {@code WARNING}) when its slot is reclaimed (default false: a stack trace per allocation
     * costs microseconds). Leaks are detected, reclaimed and counted in {@link
     * PoolStats#leakedLeases()} either way.
     */
    public Builder recordAllocationSites(boolean recordAllocationSites) {
      this.recordAllocationSites = recordAllocationSites;
      return this;
    }

    /**
     * Reserves the address space and creates the pool.
     *
     * @throws IllegalArgumentException if a setting is out of range (the message names it)
     * @throws NativeMemoryException if the reservation fails (nothing is left mapped)
     * @throws UnsupportedOperationException if this is not Linux
     */
    public MemoryPool build() {
      if (!Libc.isLinux()) {
        throw new UnsupportedOperationException(
            "MemoryPool needs Linux (mmap, madvise, memfd_create); this is "
                + System.getProperty("os.name"));
      }
      BuilderChecks.check(this);
      return new MemoryPool(this);
    }
  }
}
