package dev.slotpool.memory;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the pool keeps of a lease: a weak reference to it (so that {@link MemoryPool#close()} can
 * invalidate it without keeping it reachable), whether a purge took its key's affinity, where it
 * was allocated if that is recorded, and the cleaner action that reclaims its slot if the lease and
 * all its segments become unreachable unclosed.
 *
 * <p>Thread-safe: {@link #finish()} decides, exactly once, which of the lease's close, the pool's
 * close or the cleaner accounts for the lease.
 */
final class LeaseRecord extends WeakReference<PooledMemory> implements Runnable {
  /*
   * Implementation notes.
   *
   * The cleaner watches the lease's anchor, an object every segment's cleanup action refers to, so
   * that a segment kept after its lease was dropped keeps the slot taken. This record must not
   * refer to the anchor, the arena or (strongly) the lease, or the anchor would stay reachable
   * from the cleaner itself and no leak would ever be seen.
   */

  private final MemoryPool pool;
  private final int slot;
  private final Throwable site;
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile boolean purged;

  LeaseRecord(PooledMemory lease, MemoryPool pool, int slot, Throwable site) {
    super(lease);
    this.pool = pool;
    this.slot = slot;
    this.site = site;
  }

  int slot() {
    return slot;
  }

  /** Where the lease was allocated, or {@code null} if the pool does not record it. */
  Throwable site() {
    return site;
  }

  /** Whether a purge of the lease's key happened while it was open. */
  boolean purged() {
    return purged;
  }

  /** Marks that the lease's key was purged: its release frees the slot without affinity. */
  void markPurged() {
    purged = true;
  }

  /** Claims the lease's accounting; true for the first caller only. */
  boolean finish() {
    return finished.compareAndSet(false, true);
  }

  /** The cleaner action: the lease became unreachable, or was closed (then this does nothing). */
  @Override
  public void run() {
    if (finish()) {
      pool.reclaim(this);
    }
  }
}
