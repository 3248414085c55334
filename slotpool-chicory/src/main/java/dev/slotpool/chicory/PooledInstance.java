package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import dev.slotpool.chicory.internal.InstanceMemories;
import dev.slotpool.chicory.internal.PooledLinearMemory;

/**
 * A Chicory {@link Instance} whose linear memories are leased from a {@link WasmInstancePool}.
 * {@link #close()} returns them to the pool, which resets each slot before anyone else can have it.
 *
 * <p><b>Threads.</b> An instance may be created on one thread, run on another and closed on a
 * third, as {@code CompletableFuture}, Netty, Vert.x or Reactor code does: nothing ties it to the
 * thread that created it. Like a Chicory {@code Instance}, it runs one call at a time.
 *
 * <p><b>Closing.</b> {@code close()} may be called from any thread at any time, and is idempotent.
 * If no call runs in the instance, it resets and returns the memories at once. If a call runs on
 * another thread (a watchdog ending a runaway guest, a cancelled request), {@code close()}
 * <em>cancels</em> it: the running thread is interrupted, so Chicory stops at its next interruption
 * check even in a loop that touches no memory ({@code ChicoryInterruptedException}), or the call's
 * next memory access throws {@link IllegalStateException}; the memories return to the pool as the
 * call leaves the instance, on that thread. The pool clears the interrupt it sent as the call
 * exits, so no thread keeps a flag it did not set itself; a thread that was already interrupted is
 * not interrupted again, and keeps its flag.
 *
 * <p><b>Isolation.</b> A slot is never reset while Wasm code of its instance may still run, and
 * never handed to anyone else before it is reset. After {@code close}, every access to the
 * instance's memories by host code, through {@link #instance()} or a {@code Memory} kept from it,
 * throws {@link IllegalStateException}, and so does every new call into the instance. Host code
 * must not touch the memories <em>while</em> another thread closes the instance (that is a race on
 * an object that is not thread-safe, as with any closed resource); Wasm code is covered by the pool
 * in every case. An instance dropped without {@code close()} comes back through the memory pool's
 * leak detection once it is unreachable.
 */
public final class PooledInstance implements AutoCloseable {
  private final Instance instance;
  private final InstanceMemories memories;
  private final boolean recycled;

  PooledInstance(Instance instance, InstanceMemories memories) {
    this(instance, memories, false);
  }

  PooledInstance(Instance instance, InstanceMemories memories, boolean recycled) {
    this.instance = instance;
    this.memories = memories;
    this.recycled = recycled;
  }

  /**
   * The Chicory instance; valid until {@link #close()}.
   *
   * @throws IllegalStateException if this is an instance of a {@link PreparedModule} and it is
   *     closed: the {@code Instance} now belongs to the module's next request
   */
  public Instance instance() {
    if (recycled && memories.isClosed()) {
      throw new IllegalStateException(
          "this PooledInstance is closed: its Instance is recycled for the next request of the"
              + " module; keep neither it nor functions or memories taken from it past close()");
    }
    return instance;
  }

  /** Runs {@code action} as the instance is released, before its slots go back. */
  void closing(Runnable action) {
    memories.beforeRelease(cancelled -> action.run());
  }

  /** Whether this is an instance of a {@link PreparedModule}, recycled when it is closed. */
  public boolean isRecyclable() {
    return recycled;
  }

  /** The slot of the instance's first pooled memory, or -1 if it defines no memory. */
  public int slot() {
    PooledLinearMemory[] all = memories.memories();
    return all.length == 0 ? -1 : all[0].lease().slot();
  }

  /**
   * Whether the first pooled memory was a warm affinity hit: the slot already held this module's
   * image and nothing was mapped. False if the instance defines no memory.
   */
  public boolean reusedSlot() {
    PooledLinearMemory[] all = memories.memories();
    return all.length != 0 && all[0].lease().reused();
  }

  /** Whether {@link #close()} has been called, from any thread. */
  public boolean isClosed() {
    return memories.isClosed();
  }

  /** Whether a call runs in the instance now (on any thread). */
  public boolean isRunning() {
    return memories.isRunning();
  }

  /**
   * Returns the memories to the pool now, or, if a call runs in the instance on another thread,
   * cancels it and leaves the return to the call's exit (see the class comment). Afterwards the
   * instance's memories throw on access. Idempotent; any thread.
   */
  @Override
  public void close() {
    memories.close();
  }
}
