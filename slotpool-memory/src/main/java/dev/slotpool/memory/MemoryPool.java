package dev.slotpool.memory;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.index.AllocatorStats;
import dev.slotpool.memory.internal.AllocateEvent;
import dev.slotpool.memory.internal.Libc;
import dev.slotpool.memory.internal.Mapping;
import dev.slotpool.memory.internal.Pagemap;
import dev.slotpool.memory.internal.ReleaseEvent;
import dev.slotpool.memory.internal.SlotMemory;
import dev.slotpool.memory.internal.SlotReturns;
import dev.slotpool.memory.internal.Smaps;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;

/**
 * A fixed number of memory slots carved out of one virtual-memory reservation, handed out as {@link
 * PooledMemory} leases that remember what they held: Wasmtime's pooling memory allocator for the
 * JVM.
 *
 * <p>Each slot is {@code maxMemoryBytes} of address space followed by {@code guardBytes} that are
 * never accessible. {@link #allocate(Object, MemoryImage, long) allocate(key, image, bytes)} picks
 * a slot with a {@link dev.slotpool.index.AffinityIndexAllocator}, preferring a warm slot last used
 * for an equal {@code key}; maps the image copy-on-write into it unless the slot already holds it;
 * and makes the first {@code bytes} accessible. Closing the lease resets the slot: its first {@code
 * keepResidentBytes} are restored by hand (copied back from the image or zeroed) and stay resident
 * for the next user, the rest is dropped with {@code madvise(MADV_DONTNEED)}, in batches of {@code
 * decommitBatchSize} slots. Where the kernel supports {@code PAGEMAP_SCAN} (Linux 6.7+), only the
 * pages actually written are restored.
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
 * <p>Leases are shared-arena segments by default; {@link Builder#threadConfined(boolean)} makes
 * them confined to the allocating thread, which makes releasing one several times cheaper.
 *
 * <p>Linux only (x86-64 and AArch64): it calls libc through the FFM API and needs native access
 * ({@code --enable-native-access=dev.slotpool.memory}, or {@code ALL-UNNAMED} on the class path).
 * Resets use {@code PAGEMAP_SCAN} on Linux 6.7+ and fall back to restoring the whole keep-resident
 * prefix elsewhere; memory images are {@code memfd_create} files (Linux 3.17+).
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
   * resets it and says from where the rest must be decommitted; that is done at once, or queued
   * for a batch; only then does allocator.free learn the slot and its resident bytes.
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
  private final int decommitBatchSize;
  private final boolean pagemapScan;
  private final boolean threadConfined;
  private final SlotMemory memory;
  private final Cleaner.Cleanable cleanable;
  private final PoolMBean mbean; // null unless the builder named the pool
  private final AffinityIndexAllocator<Object> allocator;

  private final MemoryImage[] slotImage;
  private final Object[] slotKey;
  private final boolean[] everUsed;
  private final PooledMemory[] leases;

  private final SlotReturns returns;

  private final AtomicLong failedAllocations = new AtomicLong();
  private final AtomicLong imageMappings = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final StampedLock lifecycle = new StampedLock();

  /** Written under lifecycle's write lock, read under its read lock. */
  private boolean unmapped;

  private MemoryPool(Builder b) {
    long page = Libc.pageSize();
    this.slots = b.slots;
    this.maxMemoryBytes = b.maxMemoryBytes;
    this.guardBytes = b.guardBytes;
    this.keepResidentBytes = (b.keepResidentBytes + page - 1) & -page;
    this.decommitBatchSize = b.decommitBatchSize;
    this.pagemapScan = b.pagemapScan && Pagemap.isAvailable();
    this.threadConfined = b.threadConfined;
    this.allocator =
        new AffinityIndexAllocator<>(
            slots, b.maxUnusedWarmSlots < 0 ? slots : b.maxUnusedWarmSlots);
    this.slotImage = new MemoryImage[slots];
    this.slotKey = new Object[slots];
    this.everUsed = new boolean[slots];
    this.leases = new PooledMemory[slots];
    this.memory = new SlotMemory(slots, b.maxMemoryBytes, b.guardBytes);
    this.returns = new SlotReturns(allocator, memory, decommitBatchSize);
    this.cleanable = Mapping.CLEANER.register(this, memory.reservation());
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
   * @throws IllegalStateException if this pool or {@code image} is closed
   * @throws NativeMemoryException if mapping the image or making the bytes accessible fails (the
   *     slot goes back to the pool)
   */
  public PooledMemory allocate(Object key, MemoryImage image, long initialBytes) {
    checkAllocation(image, initialBytes);
    if (image != null) {
      image.acquire();
    }
    int slot;
    try {
      slot = tryAlloc(key);
    } catch (RuntimeException e) {
      if (image != null) {
        image.release();
      }
      throw e;
    }
    if (slot == AffinityAllocator.NO_SLOT) {
      if (image != null) {
        image.release();
      }
      failedAllocations.incrementAndGet();
      throw exhausted("no timeout given");
    }
    return prepare(slot, key, image, initialBytes);
  }

  /**
   * As {@link #allocate(Object, MemoryImage, long)}, but waits up to {@code timeout} for a slot to
   * be released when every slot is in use.
   *
   * @throws PoolExhaustedException if no slot was released in time
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public PooledMemory allocate(Object key, MemoryImage image, long initialBytes, Duration timeout)
      throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    checkAllocation(image, initialBytes);
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    if (image != null) {
      image.acquire();
    }
    int slot;
    try {
      slot = tryAlloc(key);
      if (slot == AffinityAllocator.NO_SLOT) {
        slot = returns.await(key, deadline, this::checkOpen);
      }
    } catch (RuntimeException | InterruptedException e) {
      if (image != null) {
        image.release();
      }
      throw e;
    }
    if (slot == AffinityAllocator.NO_SLOT) {
      if (image != null) {
        image.release();
      }
      failedAllocations.incrementAndGet();
      throw exhausted("waited " + timeout);
    }
    return prepare(slot, key, image, initialBytes);
  }

  /**
   * Strips {@code key}'s affinity from every warm slot and unmaps the images they held, as a
   * runtime does when it unloads a module. Slots in use are left alone.
   *
   * @return how many warm slots were purged
   * @throws NullPointerException if {@code key} is null
   * @throws IllegalStateException if this pool is closed
   */
  public int purge(Object key) {
    Objects.requireNonNull(key, "key");
    long stamp = lifecycle.readLock();
    try {
      checkOpen();
      returns.flush();
      int purged = 0;
      int slot;
      while ((slot = allocator.allocAffineAndClearAffinity(key)) != AffinityAllocator.NO_SLOT) {
        try {
          unmapSlot(slot);
        } finally {
          slotKey[slot] = null;
          returns.free(slot);
        }
        purged++;
      }
      return purged;
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  /** Performs every queued decommit now, making those slots available. */
  public void flushDecommits() {
    long stamp = lifecycle.readLock();
    try {
      if (!unmapped) {
        returns.flush();
      }
    } finally {
      lifecycle.unlockRead(stamp);
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
        a.unusedBytesResident(),
        a.affinityHits(),
        a.affinityMisses(),
        a.coldAllocations(),
        a.warmEvictions(),
        failedAllocations.get(),
        imageMappings.get(),
        returns.decommits(),
        returns.batches());
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

  /** How many bytes at the start of a slot a reset restores by hand and keeps resident. */
  public long keepResidentBytes() {
    return keepResidentBytes;
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
    checkOpen();
    return Smaps.residentBytes(memory.base(), memory.base() + memory.reservationBytes());
  }

  /**
   * Invalidates every open lease's segments, releases the images the slots hold and unmaps the
   * reservation. Idempotent; later allocations throw {@link IllegalStateException}. It must not
   * race with allocations. A lease that cannot be invalidated from this thread (a native call holds
   * its segment, or it is {@linkplain Builder#threadConfined thread-confined} to another thread)
   * makes it throw {@link IllegalStateException} and leave the reservation mapped, so that no
   * segment can ever reach unmapped memory; close those leases and call {@code close()} again.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<PooledMemory> invalidated = new ArrayList<>();
    RuntimeException busy = null;
    long stamp = lifecycle.writeLock();
    try {
      for (int s = 0; s < slots; s++) {
        PooledMemory lease = leases[s];
        if (lease != null) {
          try {
            if (lease.invalidate()) {
              invalidated.add(lease);
            }
          } catch (IllegalStateException | WrongThreadException e) {
            busy = e;
          }
        }
      }
      if (busy == null) {
        for (int s = 0; s < slots; s++) {
          MemoryImage image = slotImage[s];
          if (image != null) {
            slotImage[s] = null;
            image.release();
          }
        }
        unmapped = true;
        cleanable.clean();
      }
    } finally {
      lifecycle.unlockWrite(stamp);
    }
    returns.signalAll();
    if (busy != null) {
      closed.set(false); // close() may be retried once the leases are closed
      for (PooledMemory lease : invalidated) {
        release(lease, lease.byteSize()); // their own close() will not: they are closed
      }
      throw new IllegalStateException(
          "cannot unmap the pool: a PooledMemory is still open and its segments cannot be"
              + " invalidated from this thread (a native call uses one, or the lease is"
              + " thread-confined to another thread); close the leases first",
          busy);
    }
    if (mbean != null) {
      mbean.unregister();
    }
  }

  @Override
  public String toString() {
    return "MemoryPool[slots="
        + slots
        + ", maxMemoryBytes="
        + maxMemoryBytes
        + ", keepResidentBytes="
        + keepResidentBytes
        + (closed.get() ? ", closed]" : "]");
  }

  // ---- allocation --------------------------------------------------------------------------

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  private void checkAllocation(MemoryImage image, long initialBytes) {
    checkOpen();
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

  private int tryAlloc(Object key) {
    int slot = allocator.alloc(key);
    if (slot == AffinityAllocator.NO_SLOT && returns.hasPending()) {
      returns.flush();
      slot = allocator.alloc(key);
    }
    return slot;
  }

  private PoolExhaustedException exhausted(String detail) {
    return new PoolExhaustedException(slots, stats().inUse(), detail);
  }

  /** Makes {@code slot} hold {@code image} with {@code initialBytes} accessible; owns one hold. */
  private PooledMemory prepare(int slot, Object key, MemoryImage image, long initialBytes) {
    AllocateEvent event = new AllocateEvent();
    event.begin();
    long address = memory.address(slot);
    MemoryImage held = slotImage[slot];
    boolean reused = everUsed[slot] && key != null && held == image && key.equals(slotKey[slot]);
    boolean mapped = false;
    try {
      if (held != image) {
        unmapSlot(slot);
        if (image != null && image.mappedBytes() > 0) {
          memory.mapImage(slot, image.fd(), image.mappedBytes(), image.contents());
          slotImage[slot] = image;
          mapped = true;
          imageMappings.incrementAndGet();
        } else if (image != null) {
          image.release(); // an empty image maps nothing and needs no hold
        }
      } else if (image != null) {
        image.release(); // the slot already holds this image
      }
      makeAccessible(slot, initialBytes);
    } catch (RuntimeException e) {
      if (image != null && !mapped && held != image && image.mappedBytes() > 0) {
        image.release();
      }
      slotKey[slot] = null;
      returns.free(slot);
      throw e;
    }
    slotKey[slot] = key;
    everUsed[slot] = true;
    PooledMemory lease =
        new PooledMemory(this, slot, key, image, reused, address, initialBytes, threadConfined);
    leases[slot] = lease;
    if (event.shouldCommit()) {
      event.slot = slot;
      event.initialBytes = initialBytes;
      event.imageBytes = image == null ? 0 : image.byteSize();
      event.reused = reused;
      event.imageMapped = mapped;
      event.commit();
    }
    return lease;
  }

  /** Replaces what the slot maps with fresh inaccessible memory and drops its image's hold. */
  private void unmapSlot(int slot) {
    memory.clear(slot);
    MemoryImage held = slotImage[slot];
    if (held != null) {
      slotImage[slot] = null;
      held.release();
    }
  }

  /** Changes the slot's accessible size; called by the slot's owner (its lease's grow). */
  void makeAccessible(int slot, long bytes) {
    memory.makeAccessible(slot, bytes);
  }

  // ---- release -----------------------------------------------------------------------------

  /** Resets the slot of a lease whose arena is closed, and returns it. */
  void release(PooledMemory lease, long byteSize) {
    int slot = lease.slot();
    leases[slot] = null;
    long stamp = lifecycle.readLock();
    try {
      if (unmapped) {
        return;
      }
      ReleaseEvent event = new ReleaseEvent();
      event.begin();
      long cutoff = memory.reset(slot, keepResidentBytes, pagemapScan);
      if (event.shouldCommit()) {
        event.slot = slot;
        event.byteSize = byteSize;
        event.residentBytes = memory.resident(slot);
        event.decommitBytes = memory.accessible(slot) - cutoff;
        event.pagemapScan = pagemapScan && keepResidentBytes > 0;
        event.commit();
      }
      returns.decommitAndFree(slot, cutoff);
    } finally {
      lifecycle.unlockRead(stamp);
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
    int maxUnusedWarmSlots = -1; // -1: as many as slots
    int decommitBatchSize = 1;
    boolean pagemapScan = true;
    boolean threadConfined;
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
     * How many bytes at the start of a slot a reset restores by hand and keeps resident instead of
     * dropping them (default 0: drop everything). Rounded up to a page.
     */
    public Builder keepResidentBytes(long keepResidentBytes) {
      this.keepResidentBytes = keepResidentBytes;
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
     * (default true). With false, or on older kernels, a reset restores all of the first {@code
     * keepResidentBytes} and drops the rest.
     */
    public Builder usePagemapScan(boolean usePagemapScan) {
      this.pagemapScan = usePagemapScan;
      return this;
    }

    /**
     * Whether each lease's segments are confined to the thread that allocated it (default false:
     * shared, usable from any thread). Confined leases close much faster, as closing a shared arena
     * makes every JVM thread pass a handshake (tens of microseconds on a busy machine), but their
     * segments throw {@link WrongThreadException} on any other thread, and only that thread may
     * {@link PooledMemory#close()} them. Suits a runtime that runs each instance on one thread.
     */
    public Builder threadConfined(boolean threadConfined) {
      this.threadConfined = threadConfined;
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
      long page = Libc.pageSize();
      if (slots < 1 || slots > AffinityIndexAllocator.MAX_CAPACITY) {
        throw new IllegalArgumentException(
            "slots: "
                + slots
                + " (expected: 1 <= slots <= "
                + AffinityIndexAllocator.MAX_CAPACITY
                + ")");
      }
      if (maxMemoryBytes <= 0 || maxMemoryBytes % page != 0) {
        throw new IllegalArgumentException(
            "maxMemoryBytes: "
                + maxMemoryBytes
                + " (expected: > 0 and a multiple of "
                + page
                + ")");
      }
      if (guardBytes < 0 || guardBytes % page != 0) {
        throw new IllegalArgumentException(
            "guardBytes: " + guardBytes + " (expected: >= 0 and a multiple of " + page + ")");
      }
      if (keepResidentBytes < 0 || keepResidentBytes > maxMemoryBytes) {
        throw new IllegalArgumentException(
            "keepResidentBytes: "
                + keepResidentBytes
                + " (expected: 0 <= keepResidentBytes <= "
                + "maxMemoryBytes "
                + maxMemoryBytes
                + ")");
      }
      if (maxUnusedWarmSlots < -1) {
        throw new IllegalArgumentException(
            "maxUnusedWarmSlots: " + maxUnusedWarmSlots + " (expected: >= 0)");
      }
      if (decommitBatchSize < 1 || decommitBatchSize > slots) {
        throw new IllegalArgumentException(
            "decommitBatchSize: "
                + decommitBatchSize
                + " (expected: 1 <= decommitBatchSize <= "
                + "slots "
                + slots
                + ")");
      }
      long stride = Math.addExact(maxMemoryBytes, guardBytes);
      if (stride > Long.MAX_VALUE / slots) {
        throw new IllegalArgumentException(
            "slots * (maxMemoryBytes + guardBytes): "
                + slots
                + " * "
                + stride
                + " overflows a long (expected: a reservation that fits the address space)");
      }
      if (jmxName != null) {
        PoolMBean.objectName("MemoryPool", jmxName); // a malformed name fails before reserving
      }
      return new MemoryPool(this);
    }
  }
}
