package dev.slotpool.index.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The few counters every stripe of a sharded allocator shares: the next cold slot, the free stamp
 * clock and the number of stripes past their resident-bytes bound.
 *
 * <p>Thread-safe: each method is atomic; {@link #nextStamp} is as precise as documented there.
 */
public final class SharedCounters extends BigStripesField {
  /*
   * Implementation notes.
   *
   * Each counter sits on a cache line of its own (padding classes in between, as in JCTools):
   * nextCold is written only by cold allocations, the published clock every PUBLISH_EVERY stamps
   * of a thread, and bigStripes almost never, while all three are read on other paths.
   *
   * Stamps. One shared counter incremented by every free was the first design: exact LRU, but
   * two threads freeing at once passed its cache line back and forth on every free, and the
   * sharded allocator ran slower than the single-lock one with two threads. Now each thread
   * counts in a cell of its own (cells, 128 bytes apart, picked by thread id): a stamp is one more
   * than the largest of the thread's last stamp, the stripe's newest stamp (so each stripe's list
   * stays sorted) and the published clock, which each thread raises every PUBLISH_EVERY stamps.
   * So one thread's stamps always increase (the allocator is exact from one thread), and a
   * thread's stamps lag another's by little more than PUBLISH_EVERY of its frees. Two threads
   * whose ids share a cell may lose a cell update; their stamps then order them less precisely,
   * never wrongly for safety: stamps only choose which warm slot to evict.
   */

  private static final int CELLS = 64;
  private static final int STRIDE = 16;
  private static final int PUBLISH_EVERY = 64;
  private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);

  @SuppressWarnings("unused")
  private long p30, p31, p32, p33, p34, p35, p36, p37;

  private final long[] cells = new long[(CELLS + 2) * STRIDE];

  /** Public for the allocator. */
  public SharedCounters() {}

  /**
   * Returns the stamp for a free: larger than {@code floor} (the stripe's newest stamp) and than
   * every stamp the calling thread took before, and at least the clock published by any thread.
   */
  public long nextStamp(long floor) {
    long id = Thread.currentThread().threadId();
    int cell = ((int) ((id * 0x9E3779B97F4A7C15L) >>> 58) + 1) * STRIDE;
    long mine = (long) CELL.getOpaque(cells, cell);
    long stamp = Math.max(Math.max(mine, floor), (long) CLOCK.getOpaque(this)) + 1;
    CELL.setOpaque(cells, cell, stamp);
    if (stamp / PUBLISH_EVERY != mine / PUBLISH_EVERY) {
      publish(stamp);
    }
    return stamp;
  }

  private void publish(long stamp) {
    long published;
    while (stamp > (published = (long) CLOCK.getVolatile(this))
        && !CLOCK.compareAndSet(this, published, stamp)) {
      Thread.onSpinWait();
    }
  }

  /** The lowest cold slot: every slot below it has been handed out. */
  public int nextCold() {
    return (int) NEXT_COLD.getVolatile(this);
  }

  /** Takes the lowest cold slot below {@code capacity}, or returns {@link KeyTable#NIL}. */
  public int takeCold(int capacity) {
    for (; ; ) {
      int slot = (int) NEXT_COLD.getVolatile(this);
      if (slot >= capacity) {
        return KeyTable.NIL;
      }
      if (NEXT_COLD.compareAndSet(this, slot, slot + 1)) {
        return slot;
      }
    }
  }

  /** The number of stripes past their resident-bytes bound. */
  public int bigStripes() {
    return (int) BIG_STRIPES.getVolatile(this);
  }

  public void addBigStripes(int delta) {
    BIG_STRIPES.getAndAdd(this, delta);
  }
}

abstract class Pad0 {
  @SuppressWarnings("unused")
  private long p00, p01, p02, p03, p04, p05, p06, p07;
}

abstract class NextColdField extends Pad0 {
  static final VarHandle NEXT_COLD;

  static {
    try {
      NEXT_COLD = MethodHandles.lookup().findVarHandle(NextColdField.class, "nextCold", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused")
  private volatile int nextCold;
}

abstract class Pad1 extends NextColdField {
  @SuppressWarnings("unused")
  private long p10, p11, p12, p13, p14, p15, p16, p17;
}

abstract class ClockField extends Pad1 {
  static final VarHandle CLOCK;

  static {
    try {
      CLOCK = MethodHandles.lookup().findVarHandle(ClockField.class, "clock", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused")
  private volatile long clock;
}

abstract class Pad2 extends ClockField {
  @SuppressWarnings("unused")
  private long p20, p21, p22, p23, p24, p25, p26, p27;
}

abstract class BigStripesField extends Pad2 {
  static final VarHandle BIG_STRIPES;

  static {
    try {
      BIG_STRIPES =
          MethodHandles.lookup().findVarHandle(BigStripesField.class, "bigStripes", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused")
  private volatile int bigStripes;
}
