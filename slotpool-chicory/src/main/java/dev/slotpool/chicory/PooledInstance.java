package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import dev.slotpool.chicory.internal.InstanceMemories;
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
 * <p><b>Cancellation.</b> In a {@linkplain WasmInstancePool.Builder#threadConfined thread-confined}
 * pool (the default) the instance belongs to the thread that instantiated it. {@code close()} from
 * any other thread (a watchdog ending a runaway request) <em>revokes</em> it: the owner thread is
 * interrupted (Chicory stops at its next interruption check with {@code
 * ChicoryInterruptedException}), its memory accesses throw {@link IllegalStateException} ("closed
 * by another thread") from the moment it sees the revocation (a compiled loop may first finish the
 * stretch it is in, on its own slot, up to that check), and the owner itself returns the slot, at
 * such an access or at its own {@code close()} (which try-with-resources makes), clearing the
 * interrupt the revocation set. An instance revoked while its owner thread does something else
 * keeps the interrupt until the owner closes it. If the owner never comes back and drops the
 * instance, the pool's leak detection reclaims the slot once the instance is unreachable. Until
 * then the slot stays leased: a revoked instance can never reach the slot's next user. In a shared
 * pool ({@code threadConfined(false)}) {@code close()} from any thread releases at once; a running
 * call then fails at its next access with {@link IllegalStateException}. Closing a shared arena
 * under a running access makes the JVM interrupt the accessing thread as well; the pool clears that
 * interrupt, so neither mode leaves an interrupt flag on the request's thread once it has closed
 * the instance (an interrupt the caller sends itself is the caller's).
 *
 * <p>Not thread-safe, like the {@code Instance} it wraps: use it from one thread at a time (in a
 * thread-confined pool, the instantiating thread; others get {@link WrongThreadException} naming
 * {@code threadConfined(false)}), and close it after its last call returns. {@code close()} alone
 * may be called from any thread at any time, as above. Closing twice is harmless.
 */
public final class PooledInstance implements AutoCloseable {
  private final Instance instance;
  private final InstanceMemories memories;

  PooledInstance(Instance instance, InstanceMemories memories) {
    this.instance = instance;
    this.memories = memories;
  }

  /** The Chicory instance; valid until {@link #close()}. */
  public Instance instance() {
    return instance;
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

  /**
   * Returns the memories to the pool, or, called from another thread than the owner of a
   * thread-confined instance, revokes the instance (see the class comment). Afterwards the
   * instance's memories throw on access.
   *
   * @throws IllegalStateException if a lease cannot be closed now (a native call holds a shared
   *     lease's segment): the others are released and closing again retries
   */
  @Override
  public void close() {
    memories.close();
  }
}
