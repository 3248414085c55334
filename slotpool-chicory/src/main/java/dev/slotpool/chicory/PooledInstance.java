package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import dev.slotpool.chicory.internal.PooledLinearMemory;

/**
 * A Chicory {@link Instance} whose linear memories are leased from a {@link WasmInstancePool}.
 * {@link #close()} returns them to the pool, which resets each slot before anyone else can have it.
 *
 * <p>After {@code close}, every access to the instance's memories, through {@link #instance()} or
 * through a {@code Memory} reference kept from it, throws {@link IllegalStateException}, and so
 * does any call into the instance that touches memory: a stale instance can never read or write the
 * slot's next user. Keep the instance to one request; instantiating again is what the pool makes
 * cheap.
 *
 * <p>Not thread-safe, like the {@code Instance} it wraps: use it from one thread at a time, and
 * close it after its last call returns; from a thread-confined pool, that one thread must be the
 * one that instantiated it. Closing twice is harmless.
 */
public final class PooledInstance implements AutoCloseable {
  private final Instance instance;
  private final PooledLinearMemory[] memories;

  private volatile boolean closed;

  PooledInstance(Instance instance, PooledLinearMemory[] memories) {
    this.instance = instance;
    this.memories = memories;
  }

  /** The Chicory instance; valid until {@link #close()}. */
  public Instance instance() {
    return instance;
  }

  /** The slot of the instance's first pooled memory, or -1 if it defines no memory. */
  public int slot() {
    return memories.length == 0 ? -1 : memories[0].lease().slot();
  }

  /**
   * Whether the first pooled memory was a warm affinity hit: the slot already held this module's
   * image and nothing was mapped. False if the instance defines no memory.
   */
  public boolean reusedSlot() {
    return memories.length != 0 && memories[0].lease().reused();
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Returns the memories to the pool; afterwards the instance's memories throw on access.
   *
   * @throws WrongThreadException if the pool is {@linkplain WasmInstancePool.Builder#threadConfined
   *     thread-confined} and this is not the thread that instantiated: nothing is released, and the
   *     owning thread can still close it
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
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
    closed = true;
  }
}
