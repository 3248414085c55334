package dev.slotpool.memory.internal;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AllocatorStats;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How reset slots go back to the index allocator: at once, or after their pages are dropped in a
 * batch of {@code batchSize} slots, as Wasmtime's {@code decommit_queue.rs} does; and how an
 * allocation waits for a slot to come back.
 *
 * <p>Thread-safe.
 */
public final class SlotReturns {
  /*
   * Implementation notes.
   *
   * Queued slots are owned by the queue: filled and drained under `lock`, which also carries the
   * waiters' condition. A full batch is detached (a spare takes its place, so steady state
   * allocates nothing) and flushed outside the lock, since madvise of distinct slots needs no
   * mutual exclusion; its slots are then freed under the lock, so `pending` and the allocator's
   * inUse change together and snapshot() reads them consistently.
   *
   * Waiting: a waiter registers (waiters++) under the lock before it retries alloc; a releaser
   * frees, then signals if it sees a waiter. Either the waiter's retry sees the free, or the
   * releaser sees the waiter and signals under the lock, so no wake-up is lost.
   *
   * Invariant: pending == the queue's size plus the slots of batches being flushed.
   */

  /** The allocator's stats and the slots waiting for a decommit, read together. */
  public record Snapshot(AllocatorStats allocator, int pending) {}

  private final AffinityAllocator<Object> allocator;
  private final SlotMemory memory;
  private final ResidentBudget budget;
  private final int batchSize;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition slotFreed = lock.newCondition();
  private DecommitBatch queue; // guarded by lock
  private DecommitBatch spare; // guarded by lock
  private volatile int pending; // written under lock
  private volatile int waiters; // written under lock
  private final AtomicLong decommits = new AtomicLong();
  private final AtomicLong decommitBytes = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();

  /** Creates the returns path of a pool. */
  public SlotReturns(
      AffinityAllocator<Object> allocator,
      SlotMemory memory,
      ResidentBudget budget,
      int batchSize) {
    this.allocator = allocator;
    this.memory = memory;
    this.budget = budget;
    this.batchSize = batchSize;
    this.queue = new DecommitBatch(batchSize);
  }

  /** Frees a slot that has nothing to decommit, with the bytes its reset left resident. */
  public void free(int slot) {
    long resident = memory.resident(slot);
    budget.list(slot, resident); // from here on a release may decommit it: no more reads
    allocator.free(slot, resident);
    if (waiters > 0) {
      signalAll();
    }
  }

  /**
   * Frees a reset slot once its pages from {@code cutoff} on are dropped: now if the batch size is
   * one, else when its batch is full or flushed.
   */
  public void decommitAndFree(int slot, long cutoff) {
    long length = memory.extent(slot) - cutoff;
    if (length <= 0) {
      free(slot);
    } else if (batchSize == 1) {
      DecommitEvent event = new DecommitEvent();
      event.begin();
      memory.decommitFrom(slot, cutoff);
      decommits.incrementAndGet();
      decommitBytes.addAndGet(length);
      batches.incrementAndGet();
      if (event.shouldCommit()) {
        event.slots = 1;
        event.bytes = length;
        event.commit();
      }
      free(slot);
    } else {
      DecommitBatch full = null;
      lock.lock();
      try {
        pending++;
        memory.decommittedFrom(slot, cutoff); // the queue owns the slot until it drops the pages
        if (queue.add(slot, memory.address(slot) + cutoff, length)) {
          full = detach();
        }
      } finally {
        lock.unlock();
      }
      if (full != null) {
        flush(full);
      }
    }
  }

  /** Whether slots wait in the queue. */
  public boolean hasPending() {
    return pending > 0;
  }

  /** Decommits and frees every queued slot now. */
  public void flush() {
    DecommitBatch batch;
    lock.lock();
    try {
      if (queue.size() == 0) {
        return;
      }
      batch = detach();
    } finally {
      lock.unlock();
    }
    flush(batch);
  }

  /**
   * Retries {@code alloc(key)} until it returns a slot or {@code deadline} (a {@link
   * System#nanoTime()} value) passes, flushing queued decommits first.
   *
   * @param stillOpen checked after each wake-up; it throws if the pool closed meanwhile
   * @return the slot, or {@link AffinityAllocator#NO_SLOT} on time-out
   */
  public int await(Object key, long deadline, Runnable stillOpen) throws InterruptedException {
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
            flush(detach());
            continue;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return AffinityAllocator.NO_SLOT;
          }
          slotFreed.awaitNanos(left);
          stillOpen.run();
        }
      } finally {
        waiters--;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiter (the pool is closing). */
  public void signalAll() {
    lock.lock();
    try {
      slotFreed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The allocator's stats and the pending count, consistent with each other. */
  public Snapshot snapshot() {
    lock.lock();
    try {
      return new Snapshot(allocator.stats(), pending);
    } finally {
      lock.unlock();
    }
  }

  /** Slots whose pages were dropped, in total. */
  public long decommits() {
    return decommits.get();
  }

  /** Bytes dropped by those decommits, in total. */
  public long decommitBytes() {
    return decommitBytes.get();
  }

  /** Decommit passes (batches, or single slots with a batch size of one), in total. */
  public long batches() {
    return batches.get();
  }

  /** Takes the queue for flushing and installs an empty one. Called under {@code lock}. */
  private DecommitBatch detach() {
    DecommitBatch batch = queue;
    queue = spare != null ? spare : new DecommitBatch(batchSize);
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
    int size = batch.size();
    for (int i = 0; i < size; i++) {
      try {
        Libc.madvise(batch.address(i), batch.length(i), Libc.MADV_DONTNEED);
        bytes += batch.length(i);
      } catch (RuntimeException e) {
        // A slot that cannot be proven clean is never handed out again.
        failure = e;
        if (failed == null) {
          failed = new boolean[size];
        }
        failed[i] = true;
      }
    }
    decommits.addAndGet(size);
    decommitBytes.addAndGet(bytes);
    batches.incrementAndGet();
    lock.lock();
    try {
      for (int i = 0; i < size; i++) {
        int slot = batch.slot(i);
        if (failed == null || !failed[i]) {
          long resident = memory.resident(slot);
          budget.list(slot, resident);
          allocator.free(slot, resident);
        } else {
          budget.list(slot, 0); // lost for good; its bytes no longer count
        }
      }
      pending -= size;
      if (waiters > 0) {
        slotFreed.signalAll();
      }
      batch.clear();
      if (spare == null) {
        spare = batch;
      }
    } finally {
      lock.unlock();
    }
    if (event.shouldCommit()) {
      event.slots = size;
      event.bytes = bytes;
      event.commit();
    }
    if (failure != null) {
      throw failure;
    }
  }
}
