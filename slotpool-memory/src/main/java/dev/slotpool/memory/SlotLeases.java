package dev.slotpool.memory;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.memory.internal.AllocateEvent;
import dev.slotpool.memory.internal.Lifecycle;
import dev.slotpool.memory.internal.ReleaseEvent;
import dev.slotpool.memory.internal.ResidentBudget;
import dev.slotpool.memory.internal.SlotMemory;
import dev.slotpool.memory.internal.SlotReturns;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The allocate and release path of a {@link MemoryPool}: taking a slot and an image hold, making
 * the slot hold the image at the requested size and handing out the lease; on release, resetting
 * the slot, fitting what stays resident into the budget and giving the slot back; reclaiming leaked
 * leases, purging a key's warm slots, and invalidating the open leases when the pool closes.
 *
 * <p>Thread-safe as {@link MemoryPool} calls it: each method names the lifecycle lock its caller
 * holds, and a slot's state is touched only by the slot's owner (see {@link SlotTable}).
 */
final class SlotLeases {
  /*
   * Implementation notes.
   *
   * This is the per-slot work that MemoryPool's notes describe under Allocation, Release and
   * Closing; MemoryPool keeps the public API, the settings, the statistics and the lifecycle's
   * locking around these calls. The counters that only this path moves (image mappings, leaked
   * leases) live here.
   */

  private static final System.Logger LOG = System.getLogger(MemoryPool.class.getName());

  private final MemoryPool pool;
  private final int slots;
  private final long keepResidentBytes;
  private final boolean adaptive;
  private final boolean pagemapScan;
  private final boolean threadConfined;
  private final boolean recordAllocationSites;
  private final SlotMemory memory;
  private final ResidentBudget budget;
  private final ResidentBudget.Decommitter decommitter = this::decommitWarm;
  private final AffinityIndexAllocator<Object> allocator;
  private final SlotTable table;
  private final SlotReturns returns;
  private final Lifecycle lifecycle;

  private final AtomicLong imageMappings = new AtomicLong();
  private final AtomicLong leakedLeases = new AtomicLong();

  /** The lease path of {@code pool}; {@code pagemapScan} is whether resets do use it. */
  SlotLeases(
      MemoryPool pool,
      PoolSettings settings,
      boolean pagemapScan,
      SlotMemory memory,
      ResidentBudget budget,
      AffinityIndexAllocator<Object> allocator,
      SlotTable table,
      SlotReturns returns,
      Lifecycle lifecycle) {
    this.pool = pool;
    this.slots = table.slots();
    this.keepResidentBytes = settings.keepResidentBytes();
    this.adaptive = settings.residentMode() == ResidentMode.ADAPTIVE;
    this.pagemapScan = pagemapScan;
    this.threadConfined = settings.threadConfined();
    this.recordAllocationSites = settings.recordAllocationSites();
    this.memory = memory;
    this.budget = budget;
    this.allocator = allocator;
    this.table = table;
    this.returns = returns;
    this.lifecycle = lifecycle;
  }

  /** Images mapped into slots so far. */
  long imageMappings() {
    return imageMappings.get();
  }

  /** Leases reclaimed unclosed so far. */
  long leakedLeases() {
    return leakedLeases.get();
  }

  // ---- allocation --------------------------------------------------------------------------

  /**
   * Takes a hold on {@code image} and a slot; returns the slot holding the image's hold, or {@link
   * AffinityAllocator#NO_SLOT} holding nothing. Called under the lifecycle's read lock.
   */
  int tryAllocHolding(Object key, MemoryImage image) {
    if (image != null) {
      image.acquire();
    }
    int slot;
    try {
      slot = allocator.alloc(key);
      if (slot == AffinityAllocator.NO_SLOT && returns.hasPending()) {
        returns.flush();
        slot = allocator.alloc(key);
      }
    } catch (RuntimeException e) {
      if (image != null) {
        image.release();
      }
      throw e;
    }
    if (slot == AffinityAllocator.NO_SLOT && image != null) {
      image.release();
    }
    return slot;
  }

  /**
   * Makes {@code slot} hold {@code image} with {@code initialBytes} accessible; owns one hold.
   * Called under the lifecycle's read lock.
   */
  PooledMemory prepare(int slot, Object key, MemoryImage image, long initialBytes) {
    AllocateEvent event = new AllocateEvent();
    event.begin();
    budget.claim(slot);
    long address = memory.address(slot);
    MemoryImage held = table.image(slot);
    boolean ownHold = image != null; // the caller's hold, until the slot takes it or it is dropped
    boolean mapped = false;
    boolean reused;
    try {
      reused =
          table.everUsed(slot) && key != null && held == image && sameKey(key, table.key(slot));
      if (held != image) {
        table.unmapSlot(slot);
        if (image != null && image.mappedBytes() > 0) {
          memory.mapImage(slot, image.fd(), image.mappedBytes(), image.contents());
          table.holdImage(slot, image);
          ownHold = false;
          mapped = true;
          imageMappings.incrementAndGet();
        }
      }
      if (ownHold) {
        ownHold = false;
        image.release(); // an empty image maps nothing, or the slot already holds this one
      }
      memory.makeAccessible(slot, initialBytes, reused);
    } catch (RuntimeException e) {
      if (ownHold) {
        image.release();
      }
      table.setKey(slot, null);
      returns.decommitAndFree(slot, fitBudget(slot, memory.extent(slot)));
      throw e;
    }
    table.setKey(slot, key);
    table.markUsed(slot);
    PooledMemory lease =
        new PooledMemory(
            pool,
            slot,
            key,
            image,
            reused,
            address,
            initialBytes,
            threadConfined,
            pool.poolScopedReservation(),
            recordAllocationSites ? new Throwable("allocation site") : null);
    table.setLease(slot, lease.record());
    lifecycle.leaseOpened();
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

  // ---- release -----------------------------------------------------------------------------

  /** Resets the slot of a lease whose arena is closed (or unreachable), and returns it. */
  void release(LeaseRecord record, long byteSize) {
    int slot = record.slot();
    try {
      long stamp = lifecycle.enterMapped();
      try {
        table.setLease(slot, null);
        if (stamp == 0 || lifecycle.isClosed()) {
          return; // nobody allocates any more; the reservation goes as a whole
        }
        if (record.purged()) {
          // The key was purged while this lease was open: no affinity, no image hold.
          table.unmapSlot(slot);
          table.setKey(slot, null);
          returns.freeWithoutAffinity(slot);
          return;
        }
        ReleaseEvent event = new ReleaseEvent();
        event.begin();
        long cutoff = memory.reset(slot, keepResidentBytes, pagemapScan, byteSize);
        cutoff = fitBudget(slot, cutoff);
        if (event.shouldCommit()) {
          event.slot = slot;
          event.byteSize = byteSize;
          event.residentBytes = memory.resident(slot);
          event.decommitBytes = memory.extent(slot) - cutoff;
          event.pagemapScan = pagemapScan && keepResidentBytes > 0;
          event.adaptive = adaptive;
          event.commit();
        }
        returns.decommitAndFree(slot, cutoff);
      } finally {
        lifecycle.exit(stamp);
      }
    } finally {
      lifecycle.leaseDone();
    }
  }

  /** The cleaner found a lease unreachable unclosed: nobody can reach its memory, so release it. */
  void reclaim(LeaseRecord record) {
    try {
      release(record, memory.accessible(record.slot()));
    } finally {
      reportLeak(record, leakedLeases.incrementAndGet()); // counted once the slot is free again
    }
  }

  private static void reportLeak(LeaseRecord record, long leaked) {
    Throwable site = record.site();
    if (site != null) {
      LOG.log(
          System.Logger.Level.WARNING,
          "a PooledMemory of slot "
              + record.slot()
              + " was never closed; its slot is reclaimed. It was allocated here:",
          site);
    } else if (leaked == 1) {
      LOG.log(
          System.Logger.Level.WARNING,
          "a PooledMemory of slot "
              + record.slot()
              + " was never closed; its slot is reclaimed (counted in stats().leakedLeases();"
              + " MemoryPool.Builder.recordAllocationSites(true) reports where leases leak)");
    }
  }

  // ---- purge and close ---------------------------------------------------------------------

  /**
   * The purge of {@code key}, under the lifecycle's exclusive lock: strips its affinity from every
   * warm slot, unmapping what they held, and marks its open leases so that they come back without
   * affinity; returns how many warm slots were purged.
   */
  int purgeWarm(Object key) {
    returns.flush();
    List<LeaseRecord> open = new ArrayList<>();
    for (int s = 0; s < slots; s++) {
      LeaseRecord record = table.lease(s);
      if (record != null && sameKey(key, table.key(s))) {
        open.add(record); // user code first: a throwing equals changes nothing
      }
    }
    int purged = 0;
    int slot;
    while ((slot = allocator.allocAffineAndClearAffinity(key)) != AffinityAllocator.NO_SLOT) {
      budget.claim(slot);
      try {
        table.unmapSlot(slot);
      } finally {
        table.setKey(slot, null);
        returns.free(slot);
      }
      purged++;
    }
    for (LeaseRecord record : open) {
      record.markPurged();
    }
    return purged;
  }

  /** Invalidates the open leases this thread can; returns how many. Under the write lock. */
  int invalidateLeases() {
    int done = 0;
    for (int s = 0; s < slots; s++) {
      LeaseRecord record = table.lease(s);
      PooledMemory lease = record == null ? null : record.get();
      if (lease != null) {
        try {
          if (lease.invalidate()) {
            table.setLease(s, null);
            done++;
          }
        } catch (IllegalStateException | WrongThreadException e) {
          // A native call holds its segment, or it is confined to another thread: it stays open
          // and keeps the reservation mapped until its owner closes it.
        }
      }
    }
    return done;
  }

  static boolean sameKey(Object key, Object other) {
    return key == other || key.equals(other);
  }

  /**
   * Reserves budget for what the reset of {@code slot} left resident, decommitting colder warm
   * slots first, and returns the decommit cutoff, lowered if the slot itself must give up pages.
   */
  private long fitBudget(int slot, long cutoff) {
    long resident = memory.resident(slot);
    long allowed = budget.reserve(slot, resident, decommitter);
    if (allowed < resident) {
      cutoff = Math.min(cutoff, memory.trimTo(slot, allowed, pagemapScan));
    }
    return cutoff;
  }

  /** The budget's decommit of a warm victim (the caller holds lifecycle's read lock). */
  private long decommitWarm(int slot) {
    try {
      return memory.decommitAll(slot);
    } catch (NativeMemoryException e) {
      // madvise of our own mapping does not fail in practice; if it does, the pages are still
      // pristine (the slot was reset), so isolation holds and only the count is off.
      return 0;
    }
  }
}
