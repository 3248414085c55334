package dev.slotpool.index;

import java.util.List;

/**
 * A slot allocator without affinity: it reuses the least recently freed slot before it touches a
 * cold one, and hands out cold slots in ascending order.
 *
 * <p>It behaves exactly as an {@link AffinityIndexAllocator} with {@code maxUnusedWarmSlots = 0}
 * and no keys, and is built on one. Use it for pools whose slots hold nothing worth reusing for a
 * particular user, such as tables or stacks.
 *
 * <p>Thread-safe: every method is atomic with respect to the others. O(1), no allocation per call.
 */
public final class SimpleIndexAllocator {
  /** What {@link #alloc()} returns when no slot is left. */
  public static final int NO_SLOT = AffinityAllocator.NO_SLOT;

  private final AffinityIndexAllocator<Void> delegate;

  /**
   * Creates an allocator with every slot cold.
   *
   * @param capacity the number of slots, from 0 to {@link AffinityIndexAllocator#MAX_CAPACITY}
   * @throws IllegalArgumentException if {@code capacity} is out of range
   */
  public SimpleIndexAllocator(int capacity) {
    delegate = new AffinityIndexAllocator<>(capacity, 0);
  }

  /** Allocates a slot, or returns {@link #NO_SLOT} when every slot is in use. */
  public int alloc() {
    return delegate.alloc(null);
  }

  /**
   * Returns a used slot; it becomes the most recently freed one.
   *
   * @param slot a slot returned by {@link #alloc()} and not freed since
   * @param bytesResident how many bytes the slot keeps resident while free
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, capacity())}
   * @throws IllegalArgumentException if {@code bytesResident} is negative
   * @throws IllegalStateException if {@code slot} is not in use
   */
  public void free(int slot, long bytesResident) {
    delegate.free(slot, bytesResident);
  }

  /** The number of slots. */
  public int capacity() {
    return delegate.capacity();
  }

  /** Whether no slot is in use. */
  public boolean isEmpty() {
    return delegate.isEmpty();
  }

  /** The number of slots used before and free now. */
  public int unusedWarmSlots() {
    return delegate.unusedWarmSlots();
  }

  /** The sum of {@code bytesResident} over the slots free now. */
  public long unusedBytesResident() {
    return delegate.unusedBytesResident();
  }

  /** A consistent snapshot of the counters; without keys every reuse counts as an eviction. */
  public AllocatorStats stats() {
    return delegate.stats();
  }

  @Override
  public String toString() {
    return "SimpleIndexAllocator[capacity=" + capacity() + "]";
  }

  /** The free list, least recently freed first (test support). */
  List<Integer> freeList() {
    return delegate.warmSlots();
  }

  void checkInvariants() {
    delegate.checkInvariants();
  }
}
