package dev.slotpool.memory;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.index.AllocatorStats;
import dev.slotpool.memory.internal.AllocateEvent;
import dev.slotpool.memory.internal.DecommitBatch;
import dev.slotpool.memory.internal.DecommitEvent;
import dev.slotpool.memory.internal.Libc;
import dev.slotpool.memory.internal.Mapping;
import dev.slotpool.memory.internal.Pagemap;
import dev.slotpool.memory.internal.ReleaseEvent;
import dev.slotpool.memory.internal.Smaps;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

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
 * returns its slot. {@link #close()} unmaps the whole reservation; it must not race with the use of
 * leases (their segments are invalidated first, so a late access throws instead of crashing).
 *
 * <p>Linux only (x86-64 and AArch64): it calls libc through the FFM API and needs native access
 * ({@code --enable-native-access}).
 */
// Restricted FFM methods (downcalls, reinterpret) are the point of this layer: callers grant
// native access to the module (or ALL-UNNAMED on the class path).
@SuppressWarnings("restricted")
public final class MemoryPool implements AutoCloseable {
  /*
   * Implementation notes.
   *
   * Layout: one PROT_NONE, MAP_NORESERVE anonymous reservation of slots * stride bytes, stride =
   * maxMemoryBytes + guardBytes; slot s starts at base + s * stride. Guards are never made
   * accessible. Only the first accessible[s] bytes of a slot (page-rounded) are read-write.
   *
   * Ownership: the index allocator hands a slot to exactly one thread until it is freed, and its
   * lock orders a free before the next alloc of the slot, so the per-slot arrays (slotImage,
   * slotKey, accessible, resident, everUsed) are read and written only by the slot's owner, without
   * further locking. The decommit batch is a second owner for released slots; it is filled and
   * drained under `lock`, which also carries the waiters' condition.
   *
   * Mapping an image: if the slot holds another image (or bytes accessible from an earlier lease),
   * one mmap(MAP_FIXED) of fresh PROT_NONE anonymous memory replaces them, then one mmap(MAP_FIXED,
   * MAP_PRIVATE) of the image's memfd puts it in place copy-on-write. The same image already in
   * place costs nothing; a different size costs one mprotect.
   *
   * Reset (in the releasing thread, after the lease's arena is closed): with PAGEMAP_SCAN, the
   * present or swapped pages of the accessible range are visited in address order; written ones
   * (neither file nor zero page) are copied back from the image or zeroed by hand, clean file pages
   * are left mapped, zero pages are free, until keepResidentBytes of resident pages have been kept;
   * everything from that point on is decommitted. Without it, the first keepResidentBytes are
   * restored by hand and the rest decommitted. Either way every written byte is restored or
   * dropped, and what is left resident is exactly resident[s], which goes to allocator.free.
   *
   * Invariants: every page of a free slot reads as its image (or zero); pages at or beyond
   * accessible[s] are not resident; slotImage[s] != null implies the slot holds one of its holds.
   */

  private final int slots;
  private final long maxMemoryBytes;
  private final long guardBytes;
  private final long keepResidentBytes;
  private final long stride;
  private final int decommitBatchSize;
  private final boolean pagemapScan;
  private final long base;
  private final long reservationBytes;
  private final Mapping reservation;
  private final Cleaner.Cleanable cleanable;
  private final AffinityIndexAllocator<Object> allocator;

  private final MemoryImage[] slotImage;
  private final Object[] slotKey;
  private final long[] accessible;
  private final long[] resident;
  private final boolean[] everUsed;
  private final PooledMemory[] leases;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition slotFreed = lock.newCondition();
  private DecommitBatch queue; // guarded by lock
  private DecommitBatch spare; // guarded by lock
  private volatile int pending; // written under lock
  private volatile int waiters; // written under lock

  private final AtomicLong failedAllocations = new AtomicLong();
  private final AtomicLong imageMappings = new AtomicLong();
  private final AtomicLong decommits = new AtomicLong();
  private final AtomicLong decommitBatches = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();

  private MemoryPool(Builder b) {
    long page = Libc.pageSize();
    this.slots = b.slots;
    this.maxMemoryBytes = b.maxMemoryBytes;
    this.guardBytes = b.guardBytes;
    this.keepResidentBytes = roundUp(b.keepResidentBytes, page);
    this.stride = b.maxMemoryBytes + b.guardBytes;
    this.decommitBatchSize = b.decommitBatchSize;
    this.pagemapScan = b.pagemapScan && Pagemap.isAvailable();
    this.reservationBytes = Math.multiplyExact((long) slots, stride);
    this.allocator =
        new AffinityIndexAllocator<>(
            slots, b.maxUnusedWarmSlots < 0 ? slots : b.maxUnusedWarmSlots);
    this.slotImage = new MemoryImage[slots];
    this.slotKey = new Object[slots];
    this.accessible = new long[slots];
    this.resident = new long[slots];
    this.everUsed = new boolean[slots];
    this.leases = new PooledMemory[slots];
    this.queue = new DecommitBatch(decommitBatchSize);
    this.base =
        Libc.mmap(
            0,
            reservationBytes,
            Libc.PROT_NONE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE,
            -1,
            0);
    this.reservation = new Mapping(base, reservationBytes, -1);
    try {
      Libc.madvise(base, reservationBytes, Libc.MADV_NOHUGEPAGE);
    } catch (RuntimeException e) {
      reservation.run();
      throw e;
    }
    this.cleanable = Mapping.CLEANER.register(this, reservation);
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
    int slot = tryAlloc(key);
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
        slot = awaitSlot(key, deadline);
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
    checkOpen();
    flushDecommits();
    int purged = 0;
    int slot;
    while ((slot = allocator.allocAffineAndClearAffinity(key)) != AffinityAllocator.NO_SLOT) {
      try {
        unmapSlot(slot);
      } finally {
        slotKey[slot] = null;
        freeSlot(slot, resident[slot]);
      }
      purged++;
    }
    return purged;
  }

  /** Performs every queued decommit now, making those slots available. */
  public void flushDecommits() {
    DecommitBatch batch;
    lock.lock();
    try {
      if (queue.size() == 0) {
        return;
      }
      batch = detachQueue();
    } finally {
      lock.unlock();
    }
    flush(batch);
  }

  /** A snapshot of this pool's counters, in O(1). */
  public PoolStats stats() {
    AllocatorStats a;
    int p;
    lock.lock();
    try {
      a = allocator.stats();
      p = pending;
    } finally {
      lock.unlock();
    }
    return new PoolStats(
        slots,
        a.inUse() - p,
        a.unusedWarmSlots(),
        p,
        a.unusedBytesResident(),
        a.affinityHits(),
        a.affinityMisses(),
        a.coldAllocations(),
        a.warmEvictions(),
        failedAllocations.get(),
        imageMappings.get(),
        decommits.get(),
        decommitBatches.get());
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
    return Smaps.residentBytes(base, base + reservationBytes);
  }

  /**
   * Invalidates every open lease's segments, releases the images the slots hold and unmaps the
   * reservation. Idempotent; later allocations throw {@link IllegalStateException}. It must not
   * race with allocations; a lease whose segment a native call still holds makes it throw {@link
   * IllegalStateException} and leave the reservation mapped (the pool's cleaner unmaps it once the
   * pool is unreachable).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    IllegalStateException busy = null;
    for (int s = 0; s < slots; s++) {
      PooledMemory lease = leases[s];
      if (lease != null) {
        try {
          lease.invalidate();
        } catch (IllegalStateException e) {
          busy = e;
        }
      }
    }
    lock.lock();
    try {
      slotFreed.signalAll();
    } finally {
      lock.unlock();
    }
    if (busy != null) {
      throw new IllegalStateException(
          "cannot unmap the pool: a native call still uses a PooledMemory segment", busy);
    }
    for (int s = 0; s < slots; s++) {
      MemoryImage image = slotImage[s];
      if (image != null) {
        slotImage[s] = null;
        image.release();
      }
    }
    cleanable.clean();
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
    if (slot == AffinityAllocator.NO_SLOT && pending > 0) {
      flushDecommits();
      slot = allocator.alloc(key);
    }
    return slot;
  }

  private int awaitSlot(Object key, long deadline) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      waiters++;
      try {
        while (true) {
          int slot = allocator.alloc(key);
          if (slot != AffinityAllocator.NO_SLOT) {
            return slot;
          }
          if (queue.size() > 0) {
            flush(detachQueue());
            continue;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return AffinityAllocator.NO_SLOT;
          }
          slotFreed.awaitNanos(left);
          checkOpen();
        }
      } finally {
        waiters--;
      }
    } finally {
      lock.unlock();
    }
  }

  private PoolExhaustedException exhausted(String detail) {
    return new PoolExhaustedException(slots, stats().inUse(), detail);
  }

  /** Makes {@code slot} hold {@code image} with {@code initialBytes} accessible; owns one hold. */
  private PooledMemory prepare(int slot, Object key, MemoryImage image, long initialBytes) {
    AllocateEvent event = new AllocateEvent();
    event.begin();
    long address = slotAddress(slot);
    MemoryImage held = slotImage[slot];
    boolean reused = everUsed[slot] && key != null && held == image && key.equals(slotKey[slot]);
    boolean mapped = false;
    try {
      if (held != image) {
        unmapSlot(slot);
        if (image != null && image.mappedBytes() > 0) {
          Libc.mmap(
              address,
              image.mappedBytes(),
              Libc.PROT_NONE,
              Libc.MAP_PRIVATE | Libc.MAP_FIXED,
              image.fd(),
              0);
          slotImage[slot] = image;
          mapped = true;
          imageMappings.incrementAndGet();
          Libc.madvise(address, image.mappedBytes(), Libc.MADV_NOHUGEPAGE);
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
      freeSlot(slot, resident[slot]);
      throw e;
    }
    slotKey[slot] = key;
    everUsed[slot] = true;
    PooledMemory lease = new PooledMemory(this, slot, key, image, reused, address, initialBytes);
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

  /**
   * Replaces whatever the slot has mapped or made accessible with fresh inaccessible memory and
   * drops its image: the slot then holds nothing and nothing of it is resident.
   */
  private void unmapSlot(int slot) {
    MemoryImage held = slotImage[slot];
    long extent = Math.max(accessible[slot], held == null ? 0 : held.mappedBytes());
    if (extent > 0) {
      long address = slotAddress(slot);
      Libc.mmap(
          address,
          extent,
          Libc.PROT_NONE,
          Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_FIXED | Libc.MAP_NORESERVE,
          -1,
          0);
      accessible[slot] = 0;
      resident[slot] = 0;
      Libc.madvise(address, extent, Libc.MADV_NOHUGEPAGE);
    }
    if (held != null) {
      slotImage[slot] = null;
      held.release();
    }
  }

  /**
   * Makes the first {@code bytes} (rounded up to a page) of the slot read-write and the rest
   * inaccessible; pages it takes away are dropped first so that nothing beyond stays resident.
   * Called by the slot's owner.
   */
  void makeAccessible(int slot, long bytes) {
    long want = roundUp(bytes, Libc.pageSize());
    long have = accessible[slot];
    long address = slotAddress(slot);
    if (want > have) {
      Libc.mprotect(address + have, want - have, Libc.PROT_READ | Libc.PROT_WRITE);
    } else if (want < have) {
      Libc.madvise(address + want, have - want, Libc.MADV_DONTNEED);
      Libc.mprotect(address + want, have - want, Libc.PROT_NONE);
    }
    accessible[slot] = want;
  }

  // ---- release -----------------------------------------------------------------------------

  /** Resets the slot of a lease whose arena is closed, and returns it. */
  void release(PooledMemory lease, long byteSize) {
    int slot = lease.slot();
    leases[slot] = null;
    if (closed.get()) {
      return;
    }
    ReleaseEvent event = new ReleaseEvent();
    event.begin();
    long address = slotAddress(slot);
    long extent = accessible[slot];
    long keep = Math.min(keepResidentBytes, extent);
    long cutoff;
    boolean scanned = false;
    if (pagemapScan && keep > 0) {
      cutoff = resetScanned(slot, address, extent, keep);
      scanned = cutoff >= 0;
    } else {
      cutoff = -1;
    }
    if (cutoff < 0) {
      restore(slot, 0, keep);
      resident[slot] = keep;
      cutoff = keep;
    }
    long decommit = extent - cutoff;
    if (event.shouldCommit()) {
      event.slot = slot;
      event.byteSize = byteSize;
      event.residentBytes = resident[slot];
      event.decommitBytes = decommit;
      event.pagemapScan = scanned;
      event.commit();
    }
    if (decommit == 0) {
      freeSlot(slot, resident[slot]);
    } else if (decommitBatchSize == 1) {
      DecommitEvent decommitEvent = new DecommitEvent();
      decommitEvent.begin();
      Libc.madvise(address + cutoff, decommit, Libc.MADV_DONTNEED);
      decommits.incrementAndGet();
      decommitBatches.incrementAndGet();
      if (decommitEvent.shouldCommit()) {
        decommitEvent.slots = 1;
        decommitEvent.bytes = decommit;
        decommitEvent.commit();
      }
      freeSlot(slot, resident[slot]);
    } else {
      enqueue(slot, address + cutoff, decommit);
    }
  }

  /**
   * Restores the written pages among the first resident pages of the slot, up to {@code keep} bytes
   * of them, and returns the offset from which the rest must be decommitted, or -1 if the scan
   * failed and the caller must reset without it. Sets {@code resident[slot]}.
   */
  private long resetScanned(int slot, long address, long extent, long keep) {
    Pagemap.Scan scan = Pagemap.scan();
    long end = address + extent;
    long position = address;
    long kept = 0;
    try {
      while (position < end) {
        int n = scan.run(position, end);
        for (int i = 0; i < n; i++) {
          long categories = scan.categories(i);
          if ((categories & Pagemap.PAGE_IS_PFNZERO) != 0) {
            continue; // read, never written; the shared zero page is not resident
          }
          long from = scan.start(i);
          long length = scan.end(i) - from;
          boolean written = (categories & Pagemap.PAGE_IS_FILE) == 0;
          if (kept + length > keep) {
            long take = keep - kept;
            if (written) {
              restore(slot, from - address, take);
            }
            resident[slot] = keep;
            return from + take - address;
          }
          if (written) {
            restore(slot, from - address, length);
          }
          kept += length;
        }
        long walkEnd = scan.walkEnd();
        if (walkEnd <= position) {
          return -1; // no progress: do not trust this scan
        }
        position = walkEnd;
      }
    } catch (NativeMemoryException e) {
      return -1;
    }
    resident[slot] = kept;
    return extent;
  }

  /** Copies the image back over {@code [offset, offset + length)} of the slot, or zeroes it. */
  private void restore(int slot, long offset, long length) {
    if (length == 0) {
      return;
    }
    MemorySegment target = MemorySegment.ofAddress(slotAddress(slot) + offset).reinterpret(length);
    MemoryImage image = slotImage[slot];
    long imageBytes = image == null ? 0 : image.mappedBytes();
    long copied = 0;
    if (offset < imageBytes) {
      copied = Math.min(length, imageBytes - offset);
      MemorySegment.copy(image.contents(), offset, target, 0, copied);
    }
    if (copied < length) {
      target.asSlice(copied).fill((byte) 0);
    }
  }

  private void enqueue(int slot, long address, long length) {
    DecommitBatch full = null;
    lock.lock();
    try {
      pending++;
      if (queue.add(slot, address, length)) {
        full = detachQueue();
      }
    } finally {
      lock.unlock();
    }
    if (full != null) {
      flush(full);
    }
  }

  /** Takes the queue for flushing and installs an empty one. Called under {@code lock}. */
  private DecommitBatch detachQueue() {
    DecommitBatch batch = queue;
    queue = spare != null ? spare : new DecommitBatch(decommitBatchSize);
    spare = null;
    return batch;
  }

  /** Drops the batch's pages, then returns its slots to the allocator. */
  private void flush(DecommitBatch batch) {
    DecommitEvent event = new DecommitEvent();
    event.begin();
    long bytes = 0;
    RuntimeException failure = null;
    boolean[] failed = null;
    for (int i = 0; i < batch.size(); i++) {
      try {
        Libc.madvise(batch.address(i), batch.length(i), Libc.MADV_DONTNEED);
        bytes += batch.length(i);
      } catch (RuntimeException e) {
        // A slot that cannot be proven clean is never handed out again.
        failure = e;
        if (failed == null) {
          failed = new boolean[batch.size()];
        }
        failed[i] = true;
      }
    }
    decommits.addAndGet(batch.size());
    decommitBatches.incrementAndGet();
    lock.lock();
    try {
      for (int i = 0; i < batch.size(); i++) {
        if (failed == null || !failed[i]) {
          allocator.free(batch.slot(i), resident[batch.slot(i)]);
        }
      }
      pending -= batch.size();
      if (waiters > 0) {
        slotFreed.signalAll();
      }
      int size = batch.size();
      batch.clear();
      if (spare == null) {
        spare = batch;
      }
      if (event.shouldCommit()) {
        event.slots = size;
        event.bytes = bytes;
        event.commit();
      }
    } finally {
      lock.unlock();
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void freeSlot(int slot, long residentBytes) {
    allocator.free(slot, residentBytes);
    if (waiters > 0) {
      lock.lock();
      try {
        slotFreed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private long slotAddress(int slot) {
    return base + slot * stride;
  }

  private static long roundUp(long bytes, long page) {
    return (bytes + page - 1) & -page;
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

    Builder() {}

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
      return new MemoryPool(this);
    }
  }
}
