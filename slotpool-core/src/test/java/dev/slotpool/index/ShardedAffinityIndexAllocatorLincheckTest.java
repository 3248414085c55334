package dev.slotpool.index;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the sharded allocator against the exact one as sequential specification, in
 * the two regimes where the sharded allocator promises exactly the exact allocator's results.
 *
 * <p>With several stripes and evictions it is deliberately not linearizable to the exact allocator:
 * the three relaxations in its class Javadoc (the threshold compared with a sum read stripe by
 * stripe; a keyed miss that evicts from another stripe after releasing its own; an eviction-first
 * allocation that finds nothing warm in its scan and takes a cold slot) each change which slot a
 * racing call gets, never whether two holders share one. So Lincheck checks:
 *
 * <ul>
 *   <li>{@link OneStripe}: one stripe, three slots, threshold one: cold allocations, evictions,
 *       affine hits, failures and bad frees, all of which must be exact;
 *   <li>{@link FourStripesNoEviction}: four stripes and a threshold above the capacity, so no
 *       eviction ever runs: affine hits across stripes, cold allocations without a lock, frees and
 *       the all-stripe snapshots must be exact.
 * </ul>
 *
 * <p>Safety with evictions across stripes (no slot held twice, none lost, bytes exact) is the soak
 * test's job ({@link AllocatorSoakTest}), and single-threaded exactness that of {@link
 * ShardedAffinityIndexAllocatorTest}.
 */
class ShardedAffinityIndexAllocatorLincheckTest {

  /** One stripe, three slots, threshold one. */
  public static class OneStripe extends AllocatorLincheckOperations {
    public OneStripe() {
      super(new ShardedAffinityIndexAllocator<>(3, 1, 1));
    }
  }

  /** The sequential specification of {@link OneStripe}. */
  public static class OneStripeSpec extends AllocatorLincheckOperations {
    public OneStripeSpec() {
      super(new AffinityIndexAllocator<>(3, 1));
    }
  }

  /** Four stripes; 16 slots are more than a scenario allocates, and the threshold is above. */
  public static class FourStripesNoEviction extends AllocatorLincheckOperations {
    public FourStripesNoEviction() {
      super(new ShardedAffinityIndexAllocator<>(16, 17, 4));
    }
  }

  /** The sequential specification of {@link FourStripesNoEviction}. */
  public static class FourStripesNoEvictionSpec extends AllocatorLincheckOperations {
    public FourStripesNoEvictionSpec() {
      super(new AffinityIndexAllocator<>(16, 17));
    }
  }

  @Test
  void oneStripe_stress() {
    new StressOptions()
        .threads(3)
        .actorsPerThread(3)
        .iterations(10)
        .invocationsPerIteration(300)
        .sequentialSpecification(OneStripeSpec.class)
        .check(OneStripe.class);
  }

  @Test
  void oneStripe_modelChecking() {
    new ModelCheckingOptions()
        .threads(3)
        .actorsPerThread(3)
        .iterations(10)
        .invocationsPerIteration(300)
        .sequentialSpecification(OneStripeSpec.class)
        .check(OneStripe.class);
  }

  @Test
  void fourStripesNoEviction_stress() {
    new StressOptions()
        .threads(3)
        .actorsPerThread(3)
        .iterations(10)
        .invocationsPerIteration(300)
        .sequentialSpecification(FourStripesNoEvictionSpec.class)
        .check(FourStripesNoEviction.class);
  }

  @Test
  void fourStripesNoEviction_modelChecking() {
    new ModelCheckingOptions()
        .threads(3)
        .actorsPerThread(3)
        .iterations(10)
        .invocationsPerIteration(300)
        .sequentialSpecification(FourStripesNoEvictionSpec.class)
        .check(FourStripesNoEviction.class);
  }
}
