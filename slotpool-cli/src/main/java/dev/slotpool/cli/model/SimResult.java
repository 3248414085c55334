package dev.slotpool.cli.model;

/**
 * What one simulated run measured: one policy at one threshold and memory setting, over the
 * measured steps (the warm-up excluded).
 *
 * <p>Every successful allocation is exactly one of a hit, a cold allocation or an eviction, as the
 * simulator sees it from the slot's previous key: {@code hits + coldAllocs + evictions == allocs}.
 *
 * @param policy the policy's label
 * @param maxWarm the threshold, or -1 for a policy that has none
 * @param memory the reset policy and its size
 * @param slots each pool's capacity
 * @param keys the number of distinct keys
 * @param ops the measured steps (arrivals and departures, or allocs and frees)
 * @param allocs successful allocations
 * @param hits allocations that got a slot last used by the same key
 * @param coldAllocs allocations that got a never-used slot
 * @param evictions allocations that got a slot last used by another key
 * @param failures allocations that found no free slot (the seed model's retries are not counted)
 * @param meanUnusedWarm warm slots (used before, free now), averaged over steps
 * @param peakUnusedWarm the most warm slots at once
 * @param meanResidentBytes bytes the warm slots keep resident, averaged over steps
 * @param peakResidentBytes the most bytes the warm slots kept resident at once
 * @param costMicros the cost model's estimate summed over successful allocations
 * @param decommits warm slots decommitted because the adaptive budget bound
 * @param meanInFlight requests in flight, averaged over simulated time (steady model), or -1
 * @param peakInFlight the most requests in flight at once
 * @param fleet per-host figures
 * @param retries the seed model's allocations that found no slot and were drawn again
 */
public record SimResult(
    String policy,
    int maxWarm,
    MemoryModel memory,
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
    double costMicros,
    long decommits,
    double meanInFlight,
    long peakInFlight,
    FleetFigures fleet,
    long retries) {

  /**
   * Per-host figures of a fleet run (one host without {@code --hosts}).
   *
   * @param hosts pools behind the router
   * @param imbalance the busiest host's requests over the mean host's (1 = even)
   * @param peakInFlightImbalance the highest per-host peak in flight over the mean per-host peak
   * @param peakResidentPerHost the most bytes any one host's warm slots kept resident at once
   */
  public record FleetFigures(
      int hosts, double imbalance, double peakInFlightImbalance, long peakResidentPerHost) {}

  /** Hits over successful allocations, or 0 if none succeeded. */
  public double hitRate() {
    return allocs == 0 ? 0 : (double) hits / allocs;
  }

  /** Failed over attempted allocations, or 0 if none were attempted. */
  public double failureRate() {
    return allocs + failures == 0 ? 0 : (double) failures / (allocs + failures);
  }

  /** The estimated cost of an average successful allocation, in microseconds. */
  public double meanCostMicros() {
    return allocs == 0 ? 0 : costMicros / allocs;
  }

  /** The fixed policy's keep-resident bytes, or -1 under the adaptive policy. */
  public long keepResident() {
    return memory.adaptive() ? -1 : memory.bytes();
  }

  /** The adaptive policy's pool-wide resident budget, or -1 under the fixed policy. */
  public long residentBudget() {
    return memory.adaptive() ? memory.bytes() : -1;
  }
}
