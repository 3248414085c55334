package dev.slotpool.memory;

import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.memory.internal.Libc;

/**
 * The checks {@link MemoryPool.Builder#build()} makes before it reserves anything: every setting in
 * range, and sizes whose sums and products fit a long. Each failure is an {@link
 * IllegalArgumentException} that names the setting, its value and what was expected.
 *
 * <p>Stateless; reads the builder, which is not thread-safe.
 */
final class BuilderChecks {
  private BuilderChecks() {}

  /** Throws if a setting of {@code b} is out of range; changes nothing. */
  static void check(MemoryPool.Builder b) {
    long page = Libc.pageSize();
    if (b.slots < 1 || b.slots > AffinityIndexAllocator.MAX_CAPACITY) {
      throw new IllegalArgumentException(
          "slots: "
              + b.slots
              + " (expected: 1 <= slots <= "
              + AffinityIndexAllocator.MAX_CAPACITY
              + ")");
    }
    if (b.maxMemoryBytes <= 0 || b.maxMemoryBytes % page != 0) {
      throw new IllegalArgumentException(
          "maxMemoryBytes: "
              + b.maxMemoryBytes
              + " (expected: > 0 and a multiple of "
              + page
              + ")");
    }
    if (b.guardBytes < 0 || b.guardBytes % page != 0) {
      throw new IllegalArgumentException(
          "guardBytes: " + b.guardBytes + " (expected: >= 0 and a multiple of " + page + ")");
    }
    if (b.keepResidentBytes < 0 || b.keepResidentBytes > b.maxMemoryBytes) {
      throw new IllegalArgumentException(
          "keepResidentBytes: "
              + b.keepResidentBytes
              + " (expected: 0 <= keepResidentBytes <= "
              + "maxMemoryBytes "
              + b.maxMemoryBytes
              + ")");
    }
    if (b.residentBudgetBytes < 0) {
      throw new IllegalArgumentException(
          "residentBudgetBytes: " + b.residentBudgetBytes + " (expected: >= 0)");
    }
    if (b.maxUnusedWarmSlots < -1) {
      throw new IllegalArgumentException(
          "maxUnusedWarmSlots: " + b.maxUnusedWarmSlots + " (expected: >= 0)");
    }
    if (b.decommitBatchSize < 1 || b.decommitBatchSize > b.slots) {
      throw new IllegalArgumentException(
          "decommitBatchSize: "
              + b.decommitBatchSize
              + " (expected: 1 <= decommitBatchSize <= "
              + "slots "
              + b.slots
              + ")");
    }
    if (b.guardBytes > Long.MAX_VALUE - b.maxMemoryBytes) {
      throw new IllegalArgumentException(
          "maxMemoryBytes + guardBytes: "
              + b.maxMemoryBytes
              + " + "
              + b.guardBytes
              + " overflows a long (expected: a slot that fits the address space)");
    }
    long stride = b.maxMemoryBytes + b.guardBytes;
    if (stride > Long.MAX_VALUE / b.slots) {
      throw new IllegalArgumentException(
          "slots * (maxMemoryBytes + guardBytes): "
              + b.slots
              + " * "
              + stride
              + " overflows a long (expected: a reservation that fits the address space)");
    }
    if (b.jmxName != null) {
      PoolMBean.objectName("MemoryPool", b.jmxName); // a malformed name fails before reserving
    }
  }
}
