package dev.slotpool.index;

/**
 * An immutable snapshot of an index allocator's state and counters, taken atomically.
 *
 * <p>The cumulative counters only grow, from the allocator's construction. Every successful {@code
 * alloc} is counted exactly once as an affinity hit, a cold allocation or a warm eviction, so
 * {@code affinityHits + coldAllocations + warmEvictions} is the number of successful {@code alloc}
 * calls. Slots taken by {@code allocAffineAndClearAffinity} are counted in none of them.
 *
 * @param capacity the number of slots
 * @param inUse slots allocated and not yet freed
 * @param unusedWarmSlots slots used before and free now
 * @param unusedBytesResident bytes the warm slots keep resident, as reported to {@code free}
 * @param affinityHits allocations with a key that got a warm slot last used for that key
 * @param affinityMisses allocations with a key that found no warm slot for it (including those that
 *     then failed)
 * @param coldAllocations allocations that took a never-used slot
 * @param warmEvictions allocations that took a warm slot affine to another key or to none, which
 *     loses what the slot held
 * @param failedAllocations allocations that found no free slot and returned {@code NO_SLOT}
 */
public record AllocatorStats(
    int capacity,
    int inUse,
    int unusedWarmSlots,
    long unusedBytesResident,
    long affinityHits,
    long affinityMisses,
    long coldAllocations,
    long warmEvictions,
    long failedAllocations) {

  /** Slots never used yet. */
  public int coldSlots() {
    return capacity - inUse - unusedWarmSlots;
  }

  /**
   * Affinity hits over allocations that asked for a key, or {@code NaN} if none did.
   *
   * <p>Allocations without a key cannot hit and are left out.
   */
  public double affinityHitRate() {
    long asked = affinityHits + affinityMisses;
    return asked == 0 ? Double.NaN : (double) affinityHits / asked;
  }
}
