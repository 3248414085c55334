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
 * and makes the first {@code bytes} accessible; with every slot in use it waits for one, up to
 * {@link PoolSettings#maxWait() maxWait}. Closing the lease resets the slot. By default the reset
 * is <em>adaptive</em>: every page the lease wrote, including pages its memory grew into, is
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
   * under the lifecycle locks taken here; PoolSettings holds the settings and their checks, SlotTable the
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

  private final PoolSettings settings;
  private final int slots;
  private final long maxMemoryBytes;
  private final long keepResidentBytes;
  private final boolean adaptive;
  private final boolean pagemapScan;
  private final long maxWaitNanos;
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
  private final AtomicLong waitNanos = new AtomicLong();

  /** For pool-scoped leases (see PoolScopedLeases): the reservation in a pool-lifetime arena. */
  private final Arena scopeArena;

  private final MemorySegment scopedReservation;

  static {
    // Pool-scoped leases are not confined to any thread, whatever the builder said.
    PoolScopedLeases.install(s -> new MemoryPool(s.withThreadConfined(false), null, true));
  }

  private MemoryPool(PoolSettings s, String jmxName, boolean poolScoped) {
    this.settings = s;
    this.slots = s.slots();
    this.maxMemoryBytes = s.maxMemoryBytes();
    this.adaptive = s.residentMode() == ResidentMode.ADAPTIVE;
    this.keepResidentBytes = s.keepResidentBytes();
    this.pagemapScan = s.usePagemapScan() && Pagemap.isAvailable();
    this.maxWaitNanos = saturatedNanos(s.maxWait());
    AffinityIndexAllocator<Object> allocator =
        new AffinityIndexAllocator<>(slots, s.maxUnusedWarmSlots());
    this.memory = new SlotMemory(slots, maxMemoryBytes, s.guardBytes());
    this.table = new SlotTable(slots, memory);
    this.budget = new ResidentBudget(slots, s.residentBudgetBytes());
    this.returns = new SlotReturns(allocator, memory, budget, s.decommitBatchSize());
    this.cleanable = Mapping.CLEANER.register(this, memory.reservation());
    if (poolScoped) {
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
        new SlotLeases(this, s, pagemapScan, memory, budget, allocator, table, returns, lifecycle);
    try {
      this.mbean = jmxName == null ? null : PoolMBean.register("MemoryPool", jmxName, this);
    } catch (RuntimeException e) {
      cleanable.clean(); // a duplicate name leaves nothing mapped
      throw e;
    }
  }

  /** Every setting of this pool, as in force (defaults filled in). */
  public PoolSettings settings() {
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
   * initialBytes} accessible. If every slot is in use it waits for one to be released, up to the
   * pool's {@link Builder#maxWait maxWait} (30 seconds by default; {@code Duration.ZERO} fails at
   * once).
   *
   * @param key the affinity key (for example a module's memory), or {@code null} for none
   * @param image the initial contents, or {@code null} for zeros
   * @param initialBytes the accessible size, from {@code image.byteSize()} (or 0) to {@code
   *     maxMemoryBytes}
   * @throws PoolExhaustedException if no slot was released within {@code maxWait}, or the thread
   *     was interrupted while waiting (its interrupt status is then set, and the exception's cause
   *     is the {@link InterruptedException})
   * @throws IllegalArgumentException if {@code initialBytes} is out of range
   * @throws IllegalStateException if this pool or {@code image} is closed (nothing is taken)
   * @throws NativeMemoryException if mapping the image or making the bytes accessible fails (the
   *     slot goes back to the pool)
   */
  public PooledMemory allocate(Object key, MemoryImage image, long initialBytes) {
    checkAllocation(image, initialBytes);
    try {
      return allocateWithin(key, image, initialBytes, maxWaitNanos, "maxWait");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      PoolExhaustedException exhausted =
          exhausted("interrupted while waiting up to " + describe(maxWaitNanos) + ", maxWait");
      exhausted.initCause(e);
      throw exhausted;
    }
  }

  /**
   * As {@link #allocate(Object, MemoryImage, long)}, but waits up to {@code timeout} instead of
   * {@code maxWait} for a slot to be released when every slot is in use. A timeout too long to
   * count in nanoseconds waits without a limit; a zero or negative one does not wait.
   *
   * @throws PoolExhaustedException if no slot was released in time
   * @throws InterruptedException if the thread is interrupted while waiting
   * @throws IllegalStateException if this pool is closed, also while waiting (nothing is taken)
   */
  public PooledMemory allocate(Object key, MemoryImage image, long initialBytes, Duration timeout)
      throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    checkAllocation(image, initialBytes);
    return allocateWithin(key, image, initialBytes, saturatedNanos(timeout), "the timeout given");
  }

  /** Allocates, waiting up to {@code timeoutNanos} for a slot; {@code whose} names that wait. */
  private PooledMemory allocateWithin(
      Object key, MemoryImage image, long initialBytes, long timeoutNanos, String whose)
      throws InterruptedException {
    long start = 0; // when this call started waiting; 0 until it has to
    while (true) {
      long seen = returns.version();
      long stamp = lifecycle.enterOpen();
      try {
        int slot = leases.tryAllocHolding(key, image);
        if (slot != AffinityAllocator.NO_SLOT) {
          PooledMemory lease = leases.prepare(slot, key, image, initialBytes);
          if (start != 0) {
            waitNanos.addAndGet(System.nanoTime() - start);
          }
          return lease;
        }
      } finally {
        lifecycle.exit(stamp);
      }
      if (timeoutNanos <= 0) {
        failedAllocations.incrementAndGet();
        throw exhausted("no wait, " + whose + " is 0");
      }
      if (start == 0) {
        start = System.nanoTime() | 1; // never 0
        waits.incrementAndGet(); // once per call that had to wait, whatever it then got
      }
      // Wait without the lifecycle lock, so that close() and purge() are never held up by it.
      boolean changed = false;
      try {
        changed = returns.awaitChange(seen, start, timeoutNanos, lifecycle::checkOpen);
      } finally {
        if (!changed) { // timed out, interrupted, or the pool closed: this call ends here
          waitNanos.addAndGet(System.nanoTime() - start);
          failedAllocations.incrementAndGet();
        }
      }
      if (!changed) {
        throw exhausted("waited " + describe(timeoutNanos) + ", " + whose);
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
        waits.get(),
        waitNanos.get());
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
    return settings.guardBytes();
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
    return settings.threadConfined();
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
    return new PoolExhaustedException(
        "memory pool",
        slots,
        stats().inUse(),
        detail,
        "close each PooledMemory as soon as it is done, raise slots("
            + slots
            + "), or wait longer: maxWait(Duration) or allocate(..., Duration)");
  }

  /** A wait for a message: {@code "250 ms"}, {@code "30 s"}, or {@code "no limit"}. */
  static String describe(long nanos) {
    if (nanos == Long.MAX_VALUE) {
      return "no limit";
    }
    long millis = nanos / 1_000_000;
    return millis >= 10_000 && millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
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

  /** Creates a pool from checked settings, registered as an MBean if {@code jmxName} is set. */
  static MemoryPool create(PoolSettings settings, String jmxName) {
    return new MemoryPool(settings, jmxName, false);
  }

  /**
   * Configures a {@link MemoryPool}: the setters of {@link PoolBuilder}, one per component of
   * {@link PoolSettings} (which holds each setting's default, range and description), and {@code
   * jmxName}. {@code WasmInstancePool.Builder} has the same setters.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder extends PoolBuilder<Builder> {
    Builder() {}

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
      setThreadConfined(threadConfined);
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
      return buildMemoryPool("MemoryPool");
    }
  }
}
