package dev.slotpool.index;

import java.util.ArrayList;
import java.util.List;

/**
 * A slot allocator without affinity: it reuses the least recently freed slot before it touches a
 * cold one, and hands out cold slots in ascending order.
 *
 * <p>It behaves exactly as an {@link AffinityIndexAllocator} with {@code maxUnusedWarmSlots = 0}
 * and no keys: the same slots, the same exceptions, the same statistics. Use it for pools whose
 * slots hold nothing worth reusing for a particular user, such as tables or stacks.
 *
 * <p>Thread-safe: every method is atomic with respect to the others, as under one lock. Actions
 * before {@link #free} of a slot happen-before whatever follows the {@code alloc} that next returns
 * it. O(1), no allocation per call.
 */
public final class SimpleIndexAllocator {
  /*
   * Implementation notes.
   *
   * Without keys the exact allocator's warm list is a plain FIFO: free appends, alloc takes the
   * head. So the free slots sit in a ring buffer (fifo, a power of two long, at least capacity,
   * so it never overflows: a slot is in it at most once), from fifoHead for fifoSize entries.
   * Slots 0..nextCold-1 have been used at least once; taking a cold slot is nextCold++. state[s]
   * (COLD, USED or WARM) is kept only to reject a free of a slot that is not in use, with the
   * exact allocator's messages.
   *
   * Statistics as the exact allocator with threshold 0 and no keys: every reuse of a free slot is
   * an eviction, a cold slot a cold allocation; there are no affinity hits or misses.
   *
   * Invariants (checked by checkInvariants): the FIFO holds exactly the WARM slots, once each, and
   * unusedBytes is the sum of their resident[]; inUse is the number of USED slots; every slot >=
   * nextCold is COLD and every slot below it is not.
   */

  /** What {@link #alloc()} returns when no slot is left. */
  public static final int NO_SLOT = AffinityAllocator.NO_SLOT;

  private static final byte COLD = 0;
  private static final byte USED = 1;
  private static final byte WARM = 2;

  private final Object lock = new Object();
  private final int capacity;
  private final byte[] state;
  private final long[] resident;
  private final int[] fifo;
  private final int mask;

  private int fifoHead;
  private int fifoSize;
  private int nextCold;
  private int inUse;
  private long unusedBytes;

  private long warmEvictions;
  private long failedAllocations;

  /**
   * Creates an allocator with every slot cold.
   *
   * @param capacity the number of slots, from 0 to {@link AffinityIndexAllocator#MAX_CAPACITY}
   * @throws IllegalArgumentException if {@code capacity} is out of range
   */
  public SimpleIndexAllocator(int capacity) {
    Checks.capacity(capacity);
    this.capacity = capacity;
    state = new byte[capacity];
    resident = new long[capacity];
    int length = capacity <= 1 ? 1 : Integer.highestOneBit(capacity - 1) << 1;
    fifo = new int[length];
    mask = length - 1;
  }

  /** Allocates a slot, or returns {@link #NO_SLOT} when every slot is in use. */
  public int alloc() {
    synchronized (lock) {
      int slot;
      int size = fifoSize;
      if (size > 0) {
        int head = fifoHead;
        slot = fifo[head];
        fifoHead = (head + 1) & mask;
        fifoSize = size - 1;
        unusedBytes -= resident[slot];
        resident[slot] = 0;
        warmEvictions++;
      } else if (nextCold < capacity) {
        slot = nextCold++;
      } else {
        failedAllocations++;
        return NO_SLOT;
      }
      state[slot] = USED;
      inUse++;
      return slot;
    }
  }

  /**
   * Returns a used slot; it becomes the most recently freed one.
   *
   * @param slot a slot returned by {@link #alloc()} and not freed since
   * @param bytesResident how many bytes the slot keeps resident while free
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, capacity())}
   * @throws IllegalArgumentException if {@code bytesResident} is negative, or the total over the
   *     free slots would reach 2^63
   * @throws IllegalStateException if {@code slot} is not in use
   */
  public void free(int slot, long bytesResident) {
    Checks.freeArguments(slot, capacity, bytesResident);
    synchronized (lock) {
      byte s = state[slot];
      if (s != USED) {
        throw Checks.notInUse(slot, s == WARM);
      }
      unusedBytes = Checks.addResident(unusedBytes, bytesResident);
      resident[slot] = bytesResident;
      state[slot] = WARM;
      inUse--;
      int size = fifoSize;
      fifo[(fifoHead + size) & mask] = slot;
      fifoSize = size + 1;
    }
  }

  /** The number of slots. */
  public int capacity() {
    return capacity;
  }

  /** Whether no slot is in use. */
  public boolean isEmpty() {
    synchronized (lock) {
      return inUse == 0;
    }
  }

  /** The number of slots used before and free now. */
  public int unusedWarmSlots() {
    synchronized (lock) {
      return fifoSize;
    }
  }

  /** The sum of {@code bytesResident} over the slots free now. */
  public long unusedBytesResident() {
    synchronized (lock) {
      return unusedBytes;
    }
  }

  /** A consistent snapshot of the counters; without keys every reuse counts as an eviction. */
  public AllocatorStats stats() {
    synchronized (lock) {
      return new AllocatorStats(
          capacity, inUse, fifoSize, unusedBytes, 0, 0, nextCold, warmEvictions, failedAllocations);
    }
  }

  @Override
  public String toString() {
    return "SimpleIndexAllocator[capacity=" + capacity() + "]";
  }

  // ---- test support: package-private, O(capacity) ----

  /** The free list, least recently freed first (test support). */
  List<Integer> freeList() {
    synchronized (lock) {
      List<Integer> out = new ArrayList<>(fifoSize);
      for (int i = 0; i < fifoSize; i++) {
        out.add(fifo[(fifoHead + i) & mask]);
      }
      return out;
    }
  }

  /** Checks every invariant in the implementation notes. */
  void checkInvariants() {
    synchronized (lock) {
      check(fifoSize >= 0 && fifoSize <= capacity, "fifoSize %d of %d", fifoSize, capacity);
      boolean[] seen = new boolean[capacity];
      long bytes = 0;
      for (int i = 0; i < fifoSize; i++) {
        int s = fifo[(fifoHead + i) & mask];
        check(state[s] == WARM, "slot %d in the free list is not warm", s);
        check(!seen[s], "slot %d is in the free list twice", s);
        seen[s] = true;
        bytes += resident[s];
      }
      check(bytes == unusedBytes, "unusedBytes %d, free slots hold %d", unusedBytes, bytes);
      int used = 0;
      int warm = 0;
      for (int s = 0; s < capacity; s++) {
        used += state[s] == USED ? 1 : 0;
        warm += state[s] == WARM ? 1 : 0;
        check(s < nextCold || state[s] == COLD, "slot %d >= nextCold %d is not cold", s, nextCold);
        check(s >= nextCold || state[s] != COLD, "slot %d < nextCold %d is cold", s, nextCold);
      }
      check(warm == fifoSize, "%d warm slots, free list holds %d", warm, fifoSize);
      check(used == inUse, "inUse %d, %d slots used", inUse, used);
    }
  }

  private static void check(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new AssertionError(String.format(format, args));
    }
  }
}
