package dev.slotpool.memory.internal;

import dev.slotpool.index.AffinityIndexAllocator;
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
   * Waiting: a waiter reads version before its attempt, then registers (waiters++) under the lock
   * and waits while version is unchanged; a releaser frees, moves version, then signals under the
   * lock if it sees a waiter. Either the waiter sees the new version, or the releaser sees the
   * waiter and signals it once it waits, so no wake-up is lost. Waiting takes no lock of the
   * pool's lifecycle, and the waiter's retry flushes the queue under it.
   *
   * Invariant: pending == the queue's size plus the slots of batches being flushed.
   */

  /** The allocator's stats and the slots waiting for a decommit, read together. */
  public record Snapshot(AllocatorStats allocator, int pending) {}

  private final AffinityIndexAllocator<Object> allocator;
  private final SlotMemory memory;
  private final int batchSize;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition slotFreed = lock.newCondition();
  private DecommitBatch queue; // guarded by lock
  private DecommitBatch spare; // guarded by lock
  private volatile int pending; // written under lock
  private volatile int waiters; // written under lock
  private final AtomicLong version = new AtomicLong();
  private final AtomicLong decommits = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();

  /** Creates the returns path of a pool. */
  public SlotReturns(AffinityIndexAllocator<Object> allocator, SlotMemory memory, int batchSize) {
    this.allocator = allocator;
    this.memory = memory;
    this.batchSize = batchSize;
    this.queue = new DecommitBatch(batchSize);
  }

  /** Frees a slot that has nothing to decommit, with the bytes its reset left resident. */
  public void free(int slot) {
    allocator.free(slot, memory.resident(slot));
    changed();
  }

  /** As {@link #free}, but the slot keeps no affinity (its key was purged). */
  public void freeWithoutAffinity(int slot) {
    allocator.freeWithoutAffinity(slot, memory.resident(slot));
    changed();
  }

  /** Moves the version and wakes the waiters, if any. */
  private void changed() {
    version.incrementAndGet();
    if (waiters > 0) {
      signalAll();
    }
  }

  /**
   * Frees a reset slot once its pages from {@code cutoff} on are dropped: now if the batch size is
   * one, else when its batch is full or flushed.
   */
  public void decommitAndFree(int slot, long cutoff) {
    long length = memory.accessible(slot) - cutoff;
    if (length <= 0) {
      free(slot);
    } else if (batchSize == 1) {
      DecommitEvent event = new DecommitEvent();
      event.begin();
      memory.decommitFrom(slot, cutoff);
      decommits.incrementAndGet();
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
        if (queue.add(slot, memory.address(slot) + cutoff, length)) {
          full = detach();
        }
        version.incrementAndGet(); // a waiter's next attempt flushes the queue
        if (waiters > 0) {
          slotFreed.signalAll();
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
   * A count that moves whenever a slot is freed or queued for a decommit: read it before an
   * allocation attempt and pass it to {@link #awaitChange} after the attempt failed.
   */
  public long version() {
    return version.get();
  }

  /**
   * Waits until {@link #version()} is no longer {@code seen} (a slot may be free now) or {@code
   * timeoutNanos} have passed since {@code start} (a {@link System#nanoTime()} value). It holds no
   * lock of the caller's, so that closing or purging the pool is never held up by a waiter.
   *
   * @param stillOpen checked before each wait; it throws if the pool closed meanwhile
   * @return true if something changed, false on time-out
   */
  public boolean awaitChange(long seen, long start, long timeoutNanos, Runnable stillOpen)
      throws InterruptedException {
    lock.lockInterruptibly();
    try {
      waiters++;
      try {
        while (version.get() == seen) {
          stillOpen.run();
          long left = timeoutNanos - (System.nanoTime() - start);
          if (left <= 0) {
            return false;
          }
          slotFreed.awaitNanos(left);
        }
        return true;
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
    batches.incrementAndGet();
    lock.lock();
    try {
      for (int i = 0; i < size; i++) {
        if (failed == null || !failed[i]) {
          allocator.free(batch.slot(i), memory.resident(batch.slot(i)));
        }
      }
      pending -= size;
      version.incrementAndGet();
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
