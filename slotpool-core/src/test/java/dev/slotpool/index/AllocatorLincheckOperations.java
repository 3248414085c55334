package dev.slotpool.index;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;

/**
 * The operations Lincheck runs against an {@link AffinityAllocator}: every public method, with keys
 * 1 and 2 (0 stands for a null key), every slot of a small allocator and small resident sizes. Bad
 * calls (freeing a slot not in use) are part of the scenarios; Lincheck compares the exceptions
 * they throw as results.
 *
 * <p>Subclasses pick the allocator under test; a sequential specification is a subclass built on
 * the exact {@link AffinityIndexAllocator}.
 */
public abstract class AllocatorLincheckOperations {
  private final AffinityAllocator<Integer> allocator;

  protected AllocatorLincheckOperations(AffinityAllocator<Integer> allocator) {
    this.allocator = allocator;
  }

  private static Integer key(int k) {
    return k == 0 ? null : k;
  }

  @Operation
  public int alloc(@Param(gen = IntGen.class, conf = "0:2") int key) {
    return allocator.alloc(key(key));
  }

  @Operation
  public int allocAffineAndClearAffinity(@Param(gen = IntGen.class, conf = "1:2") int key) {
    return allocator.allocAffineAndClearAffinity(key);
  }

  @Operation
  public void free(
      @Param(gen = IntGen.class, conf = "0:2") int slot,
      @Param(gen = LongGen.class, conf = "0:3") long bytes) {
    allocator.free(slot, bytes);
  }

  @Operation
  public int unusedWarmSlots() {
    return allocator.unusedWarmSlots();
  }

  @Operation
  public long unusedBytesResident() {
    return allocator.unusedBytesResident();
  }

  @Operation
  public boolean isEmpty() {
    return allocator.isEmpty();
  }

  @Operation
  public AllocatorStats stats() {
    return allocator.stats();
  }
}
