package dev.slotpool.index.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The few counters every stripe of a sharded allocator shares: the next cold slot, the free stamp
 * clock and the number of stripes past their resident-bytes bound.
 *
 * <p>Thread-safe: each method is atomic.
 */
public final class SharedCounters extends BigStripesField {
  /*
   * Implementation notes.
   *
   * Each counter sits on a cache line of its own (padding classes in between, as in JCTools):
   * the clock is written by every free, nextCold only by cold allocations, and bigStripes almost
   * never, while all three are read on other paths; sharing a line would make the rare writers
   * slow down the frequent readers.
   *
   * The clock is the one contended write of a free. It costs an atomic add on a line that two
   * threads freeing at once pass back and forth; in exchange, eviction order is exact LRU. A
   * per-thread or time-based stamp would avoid it but would break either exactness with one
   * thread (ties) or LRU across threads (skewed clocks).
   */

  @SuppressWarnings("unused")
  private long p30, p31, p32, p33, p34, p35, p36, p37;

  /** Returns the next free stamp: larger than every stamp returned before. */
  public long nextStamp() {
    return (long) CLOCK.getAndAdd(this, 1L);
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
