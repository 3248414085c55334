package dev.slotpool.memory.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.StampedLock;
import java.util.function.IntSupplier;

/**
 * When a pool's reservation may be written and when it is unmapped: open, then closed (no new
 * work), then terminated (unmapped) once no lease can reach it any more.
 *
 * <p>Every operation that writes into the reservation (an allocation's {@code mmap} and {@code
 * mprotect}, a release's reset, a purge, a decommit flush) runs between {@link #enterOpen} or
 * {@link #enterMapped} and {@link #exit}: a read lock, so many run at once. {@link #close} and
 * {@link #enterExclusive} take the write lock, so they wait for those in flight and exclude new
 * ones. The reservation is unmapped ({@code terminate}) only under the write lock, after {@link
 * #close}, and only when every lease opened with {@link #leaseOpened} has been reported done with
 * {@link #leaseDone}: so no allocation lands on an unmapped reservation, and no live segment ever
 * points into one.
 *
 * <p>Thread-safe. The read lock is not reentrant: no holder may enter again, and {@link #leaseDone}
 * must be called without holding it.
 */
public final class Lifecycle {
  /*
   * Implementation notes.
   *
   * closed is volatile and set before the write lock is requested, so that a waiting allocation
   * (which holds no lock while it waits) sees it at its next check; enterOpen re-checks it under the
   * read lock, so that an allocation that passes the check completes before close proceeds.
   *
   * Termination needs closed && outstanding == 0. close() sets closed and then reads outstanding;
   * leaseDone() decrements outstanding and then reads closed; both are sequentially consistent, so
   * at least one of the two sees both conditions and terminates. terminated is written under the
   * write lock and read under either lock.
   */

  private final Object owner;
  private final Runnable terminate;
  private final StampedLock lock = new StampedLock();
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile boolean closed;
  private boolean terminated;

  /**
   * Creates the lifecycle of {@code owner}.
   *
   * @param owner named in the exception a closed pool throws (its {@code toString()})
   * @param terminate unmaps the reservation and releases what it holds; run once, under the write
   *     lock
   */
  public Lifecycle(Object owner, Runnable terminate) {
    this.owner = owner;
    this.terminate = terminate;
  }

  /**
   * Takes the read lock for work that needs an open pool.
   *
   * @return the stamp for {@link #exit}
   * @throws IllegalStateException if the pool is closed (nothing is held then)
   */
  public long enterOpen() {
    long stamp = lock.readLock();
    if (closed) {
      lock.unlockRead(stamp);
      throw closedException();
    }
    return stamp;
  }

  /**
   * Takes the read lock for work that needs the reservation mapped, open or not (the release of a
   * lease, which keeps it mapped).
   *
   * @return the stamp for {@link #exit}, or 0 if the reservation is already unmapped (nothing is
   *     held then)
   */
  public long enterMapped() {
    long stamp = lock.readLock();
    if (terminated) {
      lock.unlockRead(stamp);
      return 0;
    }
    return stamp;
  }

  /**
   * Takes the write lock for work that must exclude every allocation and release (a purge).
   *
   * @return the stamp for {@link #exitExclusive}
   * @throws IllegalStateException if the pool is closed (nothing is held then)
   */
  public long enterExclusive() {
    long stamp = lock.writeLock();
    if (closed) {
      lock.unlockWrite(stamp);
      throw closedException();
    }
    return stamp;
  }

  /** Releases a read lock taken by {@link #enterOpen} or {@link #enterMapped}; 0 is ignored. */
  public void exit(long stamp) {
    if (stamp != 0) {
      lock.unlockRead(stamp);
    }
  }

  /** Releases the write lock taken by {@link #enterExclusive}. */
  public void exitExclusive(long stamp) {
    lock.unlockWrite(stamp);
  }

  /** Whether {@link #close} has been called. */
  public boolean isClosed() {
    return closed;
  }

  /** Whether the reservation has been unmapped. */
  public boolean isTerminated() {
    long stamp = lock.readLock();
    try {
      return terminated;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /**
   * Throws if the pool is closed.
   *
   * @throws IllegalStateException if it is
   */
  public void checkOpen() {
    if (closed) {
      throw closedException();
    }
  }

  /** The number of leases opened and not yet done. */
  public int outstandingLeases() {
    return outstanding.get();
  }

  /** Counts a new lease; called under the read lock of an open pool. */
  public void leaseOpened() {
    outstanding.incrementAndGet();
  }

  /**
   * Counts a lease as done (closed, invalidated or reclaimed): its segments can no longer reach the
   * reservation. The last one after {@link #close} terminates. Called without holding the lock.
   */
  public void leaseDone() {
    if (outstanding.decrementAndGet() == 0 && closed) {
      long stamp = lock.writeLock();
      try {
        terminateIfIdle();
      } finally {
        lock.unlockWrite(stamp);
      }
    }
  }

  /**
   * Closes the pool: from now on {@link #enterOpen} throws. Wakes the waiters, waits for the work
   * in flight, invalidates what leases it can, and terminates if none is left outstanding.
   * Idempotent; a repeated call tries to invalidate the remaining leases again.
   *
   * @param wakeWaiters wakes allocations waiting for a slot, so that they see the pool closed
   * @param invalidateLeases run under the write lock; invalidates the open leases it can from this
   *     thread and returns how many it invalidated (each is done, and is not reported again)
   * @return whether the reservation is unmapped now
   */
  public boolean close(Runnable wakeWaiters, IntSupplier invalidateLeases) {
    closed = true;
    wakeWaiters.run();
    long stamp = lock.writeLock();
    try {
      if (!terminated) {
        outstanding.addAndGet(-invalidateLeases.getAsInt());
        terminateIfIdle();
      }
      return terminated;
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  private void terminateIfIdle() {
    if (!terminated && outstanding.get() == 0) {
      terminated = true;
      terminate.run();
    }
  }

  private IllegalStateException closedException() {
    return new IllegalStateException(owner + " is closed");
  }
}
