package dev.slotpool.sim.internal;

/**
 * What one simulated run measured: one policy at one threshold and keep-resident setting.
 *
 * <p>Every successful allocation is exactly one of a hit, a cold allocation or an eviction, as the
 * simulator sees it from the slot's previous key: {@code hits + coldAllocs + evictions == allocs}.
 *
 * @param policy the policy's label
 * @param maxWarm the threshold, or -1 for a policy that has none
 * @param keepResident bytes a freed slot keeps resident (unless a trace says otherwise)
 * @param slots the pool's capacity
 * @param keys the number of distinct keys
 * @param ops the steps run (allocs and frees, failed ones included)
 * @param allocs successful allocations
 * @param hits allocations that got a slot last used by the same key
 * @param coldAllocs allocations that got a never-used slot
 * @param evictions allocations that got a slot last used by another key
 * @param failures allocations that found no free slot
 * @param meanUnusedWarm warm slots (used before, free now), averaged over steps
 * @param peakUnusedWarm the most warm slots at once
 * @param meanResidentBytes bytes the warm slots keep resident, averaged over steps
 * @param peakResidentBytes the most bytes the warm slots kept resident at once
 * @param costMicros the cost model's estimate summed over successful allocations
 */
public record SimResult(
    String policy,
    int maxWarm,
    long keepResident,
    int slots,
    int keys,
    long ops,
    long allocs,
    long hits,
    long coldAllocs,
    long evictions,
    long failures,
    double meanUnusedWarm,
    long peakUnusedWarm,
    double meanResidentBytes,
    long peakResidentBytes,
    double costMicros) {

  /** Hits over successful allocations, or 0 if none succeeded. */
  public double hitRate() {
    return allocs == 0 ? 0 : (double) hits / allocs;
  }

  /** The estimated cost of an average successful allocation, in microseconds. */
  public double meanCostMicros() {
    return allocs == 0 ? 0 : costMicros / allocs;
  }
}
