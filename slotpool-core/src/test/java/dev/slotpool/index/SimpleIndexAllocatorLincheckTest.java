package dev.slotpool.index;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the simple allocator: every public method, every slot of a three-slot
 * allocator (bad frees included); it is its own sequential specification.
 */
public class SimpleIndexAllocatorLincheckTest {
  private final SimpleIndexAllocator allocator = new SimpleIndexAllocator(3);

  /** Lincheck creates a fresh instance per scenario. */
  public SimpleIndexAllocatorLincheckTest() {}

  @Operation
  public int alloc() {
    return allocator.alloc();
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

  @Test
  void stress() {
    new StressOptions()
        .threads(3)
        .actorsPerThread(3)
        .iterations(10)
        .invocationsPerIteration(300)
        .check(getClass());
  }

  @Test
  void modelChecking() {
    new ModelCheckingOptions()
        .threads(3)
        .actorsPerThread(3)
        .iterations(10)
        .invocationsPerIteration(300)
        .check(getClass());
  }
}
