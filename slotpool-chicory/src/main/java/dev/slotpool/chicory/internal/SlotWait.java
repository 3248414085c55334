package dev.slotpool.chicory.internal;

import dev.slotpool.memory.MemoryImage;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PoolExhaustedException;
import dev.slotpool.memory.PooledMemory;
import java.time.Duration;

/**
 * How long one instantiation may wait for free slots, all its memories together: the wait starts
 * when the instantiation does, and each memory's lease waits only for what is left of it. A lease
 * that finds no slot in time fails with a {@link PoolExhaustedException} that tells a {@code
 * WasmInstancePool} user what to do, rather than the memory pool's.
 *
 * <p>Not thread-safe: one per instantiation, on the instantiating thread.
 */
public final class SlotWait {
  private final long start = System.nanoTime();
  private final long timeoutNanos;
  private final String whose;

  private SlotWait(long timeoutNanos, String whose) {
    this.timeoutNanos = timeoutNanos;
    this.whose = whose;
  }

  /** The pool's own wait, {@code maxWait}: for an instantiation that names none. */
  public static SlotWait maxWait(MemoryPool pool) {
    return new SlotWait(nanos(pool.settings().maxWait()), "maxWait");
  }

  /**
   * A wait the caller chose; a negative one does not wait, one too long to count in nanoseconds
   * waits without a limit.
   *
   * @throws NullPointerException if {@code timeout} is null
   */
  public static SlotWait of(Duration timeout) {
    if (timeout == null) {
      throw new NullPointerException("timeout");
    }
    return new SlotWait(nanos(timeout), "the timeout given");
  }

  /**
   * Leases a slot from {@code pool}, waiting for what is left of this wait if every slot is in use.
   *
   * @throws PoolExhaustedException if no slot was released in time, or the thread was interrupted
   *     while waiting (its interrupt status is then set, and the cause is the {@link
   *     InterruptedException})
   */
  public PooledMemory lease(MemoryPool pool, Object key, MemoryImage image, long initialBytes) {
    long left =
        timeoutNanos == Long.MAX_VALUE
            ? Long.MAX_VALUE
            : Math.max(0, timeoutNanos - (System.nanoTime() - start));
    try {
      return pool.allocate(key, image, initialBytes, Duration.ofNanos(left));
    } catch (PoolExhaustedException e) {
      throw exhausted(pool, e, "waited " + describe(timeoutNanos) + ", " + whose);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller's to see: instantiate throws no checked one
      PoolExhaustedException exhausted =
          exhausted(
              pool,
              null,
              "interrupted while waiting up to " + describe(timeoutNanos) + ", " + whose);
      exhausted.initCause(e);
      throw exhausted;
    }
  }

  private PoolExhaustedException exhausted(
      MemoryPool pool, PoolExhaustedException cause, String detail) {
    int slots = pool.slots();
    String wait = timeoutNanos == 0 ? "no wait, " + whose + " is 0" : detail;
    PoolExhaustedException e =
        new PoolExhaustedException(
            "WasmInstancePool",
            slots,
            cause != null ? cause.inUse() : pool.stats().inUse(),
            wait,
            "close each PooledInstance as soon as its request is done (try-with-resources),"
                + " raise slots("
                + slots
                + ") (one slot per memory of each instance open at once), or wait longer:"
                + " maxWait(Duration) or instantiate(..., Duration)");
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  private static long nanos(Duration timeout) {
    if (timeout.isNegative()) {
      return 0;
    }
    try {
      return timeout.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE; // longer than the JVM will run
    }
  }

  private static String describe(long nanos) {
    if (nanos == Long.MAX_VALUE) {
      return "no limit";
    }
    long millis = nanos / 1_000_000;
    return millis >= 10_000 && millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }
}
