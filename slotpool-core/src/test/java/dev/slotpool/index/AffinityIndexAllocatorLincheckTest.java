package dev.slotpool.index;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/** Linearizability of the exact allocator: it holds one lock, so every history must pass. */
public class AffinityIndexAllocatorLincheckTest extends AllocatorLincheckOperations {

  public AffinityIndexAllocatorLincheckTest() {
    super(new AffinityIndexAllocator<>(3, 1));
  }

  @Test
  void stress() {
    new StressOptions().iterations(30).invocationsPerIteration(1_000).check(getClass());
  }

  @Test
  void modelChecking() {
    new ModelCheckingOptions().iterations(30).invocationsPerIteration(1_000).check(getClass());
  }
}
