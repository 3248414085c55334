package dev.slotpool.bench.index;

import dev.slotpool.index.AffinityAllocator;
import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.index.AllocatorStats;
import dev.slotpool.index.ShardedAffinityIndexAllocator;
import dev.slotpool.index.SimpleIndexAllocator;

/** The allocators a benchmark can run, by the name its {@code impl} parameter takes. */
final class Allocators {
  private Allocators() {}

  /**
   * Creates the allocator named {@code impl}: {@code simple} (keys ignored), {@code exact} or
   * {@code sharded} (default stripes).
   */
  static AffinityAllocator<Object> create(String impl, int capacity, int maxUnusedWarmSlots) {
    return switch (impl) {
      case "simple" -> new Simple(new SimpleIndexAllocator(capacity));
      case "exact" -> new AffinityIndexAllocator<>(capacity, maxUnusedWarmSlots);
      case "sharded" -> new ShardedAffinityIndexAllocator<>(capacity, maxUnusedWarmSlots);
      default -> throw new IllegalArgumentException("impl: " + impl);
    };
  }

  /**
   * The simple allocator behind the affinity interface, so that one benchmark body drives all
   * three. Each fork runs one implementation, so the interface call stays monomorphic and inlined.
   */
  private record Simple(SimpleIndexAllocator a) implements AffinityAllocator<Object> {
    @Override
    public int alloc(Object key) {
      return a.alloc();
    }

    @Override
    public int allocAffineAndClearAffinity(Object key) {
      return NO_SLOT;
    }

    @Override
    public void free(int slot, long bytesResident) {
      a.free(slot, bytesResident);
    }

    @Override
    public int capacity() {
      return a.capacity();
    }

    @Override
    public boolean isEmpty() {
      return a.isEmpty();
    }

    @Override
    public int unusedWarmSlots() {
      return a.unusedWarmSlots();
    }

    @Override
    public long unusedBytesResident() {
      return a.unusedBytesResident();
    }

    @Override
    public AllocatorStats stats() {
      return a.stats();
    }
  }
}
