package dev.slotpool.index;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the exact allocator: three slots, a threshold of one (so cold allocations,
 * evictions, affine hits and failures all happen), two keys and none; it is its own sequential
 * specification.
 */
public class AffinityIndexAllocatorLincheckTest extends AllocatorLincheckOperations {

  public AffinityIndexAllocatorLincheckTest() {
    super(new AffinityIndexAllocator<>(3, 1));
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
