package dev.slotpool.chicory.internal;

/**
 * The pooled memories of one instance and their lifecycle: release by the owner, revocation by
 * anyone else.
 *
 * <p>In a thread-confined pool the memories belong to the thread that instantiated ({@code owner}):
 * only it can close their leases. {@link #close()} from that thread releases them at once; from any
 * other thread it <em>revokes</em> them: every later access by the owner throws {@link
 * IllegalStateException} ("closed by another thread"), the owner is interrupted so that a request
 * stuck in computation stops at Chicory's next interruption check, and the owner performs the
 * actual release at its next memory access or its own {@code close()}, clearing the interrupt the
 * revocation delivered. In a shared pool ({@code owner == null}) any thread releases at once.
 *
 * <p>Thread-safe.
 */
/*
 * Implementation notes
 *
 * Everything happens under `this`, so that the interrupt a revocation sends and the clear the
 * owner's release performs are ordered: revoke() interrupts only while the memories are not yet
 * released, and records it in `interruptOwed`; release() clears the owner's interrupt flag iff it
 * is owed. The owner therefore never keeps a flag the pool set once it has released, and a
 * revocation that loses the race with the owner's own close does nothing at all.
 *
 * The memories' own revoke() is what the running thread notices: it swaps their volatile segment
 * for the empty one, so the next access falls into the slow path, which calls back release().
 *
 * Nothing here refers to the pool or the plan's registry, so an instance dropped unclosed becomes
 * unreachable with its leases, and the memory layer's leak detection can reclaim them.
 */
public final class InstanceMemories {
  private final Thread owner;
  private final Runnable afterRelease;
  private PooledLinearMemory[] memories = new PooledLinearMemory[0];
  private boolean released;
  private boolean revoked;
  private boolean interruptOwed;

  /**
   * Memories confined to {@code owner}, or shared if it is null; {@code afterRelease} runs once, on
   * the releasing thread, after they are all back in the pool.
   */
  public InstanceMemories(Thread owner, Runnable afterRelease) {
    this.owner = owner;
    this.afterRelease = afterRelease;
  }

  /** The thread the memories are confined to, or null if they are shared. */
  public Thread owner() {
    return owner;
  }

  /** Adds the next memory, in index order; called while instantiating. */
  synchronized void add(PooledLinearMemory memory) {
    var grown = java.util.Arrays.copyOf(memories, memories.length + 1);
    grown[memories.length] = memory;
    memories = grown;
  }

  /** The memories in index order. */
  public synchronized PooledLinearMemory[] memories() {
    return memories;
  }

  /** Whether {@link #close()} was called or the memories were revoked. */
  public synchronized boolean isClosed() {
    return released || revoked;
  }

  /** Whether another thread revoked the memories (they may be released already). */
  public synchronized boolean isRevoked() {
    return revoked;
  }

  /**
   * Releases the memories (the owner, or any thread if shared) or revokes them (another thread of a
   * confined pool). Idempotent.
   *
   * @return true if this call released them, false if it revoked them or nothing was left to do
   */
  public boolean close() {
    if (owner == null || Thread.currentThread() == owner) {
      return release();
    }
    revoke();
    return false;
  }

  /**
   * Returns every memory to the pool on this thread; if one lease refuses to close (a shared lease
   * that a native call holds), the others are still released and the first failure is thrown, and a
   * later call retries what is left.
   *
   * @return true if this call released the memories, false if they already were
   */
  boolean release() {
    if (!releaseMemories()) {
      return false;
    }
    afterRelease.run();
    return true;
  }

  private synchronized boolean releaseMemories() {
    if (released) {
      return false;
    }
    RuntimeException failure = null;
    for (PooledLinearMemory memory : memories) {
      try {
        memory.release();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    released = true;
    if (interruptOwed) {
      interruptOwed = false;
      Thread.interrupted(); // only the owner releases a revoked instance: the flag we set is ours
    }
    return true;
  }

  private synchronized void revoke() {
    if (released || revoked) {
      return;
    }
    revoked = true;
    for (PooledLinearMemory memory : memories) {
      memory.revoke();
    }
    owner.interrupt();
    interruptOwed = true;
  }
}
