package dev.slotpool.cli.model;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.index.ShardedAffinityIndexAllocator;
import dev.slotpool.index.SimpleIndexAllocator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A slot allocation policy under simulation: one of the library's allocators, or a baseline.
 *
 * <p>Keys are ints; adapters of the library's generic allocators map them to preallocated {@code
 * Integer} objects, so no call allocates. Every policy is thread-safe.
 */
public interface Policy {
  /** What {@link #alloc} returns when no slot is free. */
  int NO_SLOT = -1;

  /** Allocates a slot for {@code key}, or returns {@link #NO_SLOT}. */
  int alloc(int key);

  /** Frees a slot returned by {@link #alloc}. */
  void free(int slot, long bytesResident);

  /** The object making the decisions: the library allocator itself for the library policies. */
  Object target();

  /** The policies that can be named with {@code --policy}. */
  enum Kind {
    /** {@link AffinityIndexAllocator}: the exact affinity allocator. */
    AFFINITY(true, "AffinityIndexAllocator: the key's warm slot, else cold/LRU by max-warm"),
    /**
     * {@link ShardedAffinityIndexAllocator} with its default number of stripes: the concurrent
     * allocator, which makes the exact allocator's choices when used from one thread.
     */
    SHARDED(true, "ShardedAffinityIndexAllocator: the concurrent allocator, striped by key"),
    /** {@link SimpleIndexAllocator}: no affinity, least recently freed first. */
    SIMPLE(false, "SimpleIndexAllocator: no affinity, least recently freed slot before cold"),
    /** Baseline: a uniformly random free slot, warm or cold. */
    RANDOM(false, "baseline: a uniformly random free slot"),
    /** Baseline: free slots in a queue, the longest-free first (cold slots queue up first). */
    FIFO(false, "baseline: the slot that has been free longest (a queue)");

    private final boolean usesThreshold;
    private final String description;

    Kind(boolean usesThreshold, String description) {
      this.usesThreshold = usesThreshold;
      this.description = description;
    }

    /** The label, so that the command line's enum conversion and help use it. */
    @Override
    public String toString() {
      return label();
    }

    /** The name used on the command line and in reports. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Whether {@code --max-warm} changes this policy's decisions. */
    public boolean usesThreshold() {
      return usesThreshold;
    }

    /** One line for help and reports. */
    public String description() {
      return description;
    }

    /** Every policy, in declaration order. */
    public static List<Kind> all() {
      return List.of(values());
    }

    /**
     * Creates the policy.
     *
     * @param capacity the number of slots
     * @param maxWarm the threshold, for policies that use one
     * @param keys the number of keys the workload draws from
     * @param seed the seed for policies that draw random numbers
     */
    public Policy create(int capacity, int maxWarm, int keys, long seed) {
      return switch (this) {
        case AFFINITY ->
            new Keyed(new AffinityIndexAllocator<Integer>(capacity, maxWarm), keyObjects(keys));
        case SHARDED ->
            new Keyed(
                new ShardedAffinityIndexAllocator<Integer>(capacity, maxWarm), keyObjects(keys));
        case SIMPLE -> new Simple(new SimpleIndexAllocator(capacity));
        case RANDOM -> new RandomFree(capacity, seed);
        case FIFO -> new Fifo(capacity);
      };
    }
  }

  private static Integer[] keyObjects(int keys) {
    Integer[] objects = new Integer[keys];
    for (int k = 0; k < keys; k++) {
      objects[k] = k; // boxed once here, never per call
    }
    return objects;
  }

  /** Adapts a library {@link AffinityAllocator} to int keys. */
  final class Keyed implements Policy {
    private final AffinityAllocator<Integer> allocator;
    private final Integer[] keys;

    Keyed(AffinityAllocator<Integer> allocator, Integer[] keys) {
      this.allocator = allocator;
      this.keys = keys;
    }

    @Override
    public int alloc(int key) {
      return allocator.alloc(keys[key]);
    }

    @Override
    public void free(int slot, long bytesResident) {
      allocator.free(slot, bytesResident);
    }

    @Override
    public Object target() {
      return allocator;
    }
  }

  /** Adapts the library's {@link SimpleIndexAllocator}, which ignores keys. */
  final class Simple implements Policy {
    private final SimpleIndexAllocator allocator;

    Simple(SimpleIndexAllocator allocator) {
      this.allocator = allocator;
    }

    @Override
    public int alloc(int key) {
      return allocator.alloc();
    }

    @Override
    public void free(int slot, long bytesResident) {
      allocator.free(slot, bytesResident);
    }

    @Override
    public Object target() {
      return allocator;
    }
  }

  /** A uniformly random free slot: what a pool without any reuse policy does on average. */
  final class RandomFree implements Policy {
    // free[0..count) holds the free slots in no order; removal swaps the last one in.
    private final int[] free;
    private final SplittableRandom random;
    private int count;

    RandomFree(int capacity, long seed) {
      free = new int[capacity];
      for (int s = 0; s < capacity; s++) {
        free[s] = s;
      }
      count = capacity;
      random = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    }

    @Override
    public synchronized int alloc(int key) {
      if (count == 0) {
        return NO_SLOT;
      }
      int i = random.nextInt(count);
      int slot = free[i];
      free[i] = free[--count];
      return slot;
    }

    @Override
    public synchronized void free(int slot, long bytesResident) {
      free[count++] = slot;
    }

    @Override
    public Object target() {
      return this;
    }
  }

  /** Free slots in a queue: the slot free the longest goes first, cold slots in ascending order. */
  final class Fifo implements Policy {
    private final int[] ring;
    private int head;
    private int size;

    Fifo(int capacity) {
      ring = new int[capacity];
      for (int s = 0; s < capacity; s++) {
        ring[s] = s;
      }
      size = capacity;
    }

    @Override
    public synchronized int alloc(int key) {
      if (size == 0) {
        return NO_SLOT;
      }
      int slot = ring[head];
      head = head + 1 == ring.length ? 0 : head + 1;
      size--;
      return slot;
    }

    @Override
    public synchronized void free(int slot, long bytesResident) {
      int tail = head + size;
      ring[tail >= ring.length ? tail - ring.length : tail] = slot;
      size++;
    }

    @Override
    public Object target() {
      return this;
    }
  }
}
