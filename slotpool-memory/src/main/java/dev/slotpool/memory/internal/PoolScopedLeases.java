package dev.slotpool.memory.internal;

import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PoolSettings;
import java.util.Objects;
import java.util.function.Function;

/**
 * Builds a {@link MemoryPool} whose leases are <em>pool-scoped</em>: for a runtime that guards
 * every access to its leases itself, as slotpool-chicory does by owning the calls into an instance.
 *
 * <p>A pool-scoped lease has no arena of its own. Its segments are slices of one segment of the
 * whole reservation, in a shared arena that lives until the pool terminates; closing the lease
 * costs no JVM-wide handshake and may happen on any thread, but it does not invalidate the
 * segments: the caller must make sure that nothing reads or writes them after {@code close()}, or
 * it would reach the slot's next user. A stale segment never crashes the JVM: the reservation stays
 * mapped while it is reachable, and every access throws {@link IllegalStateException} once the pool
 * has terminated. The pool's {@code close()} does not invalidate such leases: the reservation stays
 * mapped until each is closed or reclaimed as unreachable.
 *
 * <p>Not part of the API: exported only to slotpool's runtime modules.
 */
public final class PoolScopedLeases {
  private static volatile Function<PoolSettings, MemoryPool> factory;

  private PoolScopedLeases() {}

  /**
   * Reserves a pool with {@code settings} and pool-scoped leases; the {@code threadConfined}
   * setting does not apply, and no MBean is registered.
   */
  public static MemoryPool build(PoolSettings settings) {
    Objects.requireNonNull(settings, "settings");
    Function<PoolSettings, MemoryPool> f = factory;
    if (f == null) {
      MemoryPool.pageSize(); // initialises MemoryPool, which installs the factory
      f = factory;
    }
    return f.apply(settings);
  }

  /**
   * Called once, by {@link MemoryPool}'s class initialiser.
   *
   * @throws IllegalStateException if called again
   */
  public static synchronized void install(Function<PoolSettings, MemoryPool> poolFactory) {
    if (factory != null) {
      throw new IllegalStateException("PoolScopedLeases is installed already");
    }
    factory = poolFactory;
  }
}
