package dev.slotpool.memory;

/**
 * An immutable snapshot of a {@link MemoryPool}'s state and counters, taken in O(1).
 *
 * <p>The cumulative counters only grow, from the pool's construction. Every successful allocation
 * is counted exactly once as an affinity hit, a cold allocation or an eviction, so {@code
 * affinityHits + coldAllocations + evictions} is the number of successful allocations. Each field
 * is exact; the snapshot is consistent for the slot counts and {@code residentBytes}, which are
 * read under one lock, while the cumulative counters may be a few operations apart from them under
 * concurrent use.
 *
 * @param slots the pool's capacity
 * @param inUse slots leased out now (allocated and not yet closed)
 * @param unusedWarmSlots slots that were used, were reset, and wait for reuse
 * @param pendingDecommits slots released and reset by hand whose decommit is still queued; they are
 *     neither in use nor available until the batch is flushed
 * @param residentBytes bytes the warm slots keep resident: the sum, over warm slots, of what each
 *     reset left resident (at most {@code keepResidentBytes} per slot), less what the budget
 *     decommitted since; it never exceeds {@code residentBudgetBytes}, and with no lease open it
 *     equals the pool's resident memory as the kernel counts it ({@link
 *     MemoryPool#measureResidentBytes()})
 * @param affinityHits allocations with a key that got a warm slot last used for an equal key
 * @param affinityMisses allocations with a key that found no warm slot for it (including those that
 *     then failed; an allocation that waits counts each attempt)
 * @param coldAllocations allocations that took a never-used slot
 * @param evictions allocations that took a warm slot affine to another key or to none
 * @param failedAllocations allocation attempts that found no slot (each timed wait counts once)
 * @param imageMappings times an image was mapped into a slot (copy-on-write, never copied)
 * @param decommits slot resets that dropped pages with {@code madvise(MADV_DONTNEED)}
 * @param decommitBatches decommit batches flushed (each is one pass over up to {@code
 *     decommitBatchSize} slots)
 * @param leakedLeases leases that became unreachable without being closed, whose slots the pool
 *     reclaimed (reset and freed) when the garbage collector found them
 * @param mode what resets keep resident: every page written ({@link ResidentMode#ADAPTIVE}, the
 *     default) or a fixed prefix per slot
 * @param residentBudgetBytes the most bytes the warm slots may keep resident together
 * @param copiedBytes bytes that resets restored by copying them back from an image
 * @param zeroedBytes bytes that resets restored by zero-filling them
 * @param decommitBytes bytes that resets dropped (counted in {@code decommits}): the fixed mode's
 *     pages beyond {@code keepResidentBytes}, or what of a releasing slot did not fit the budget
 * @param budgetDecommits warm slots decommitted whole because a release would have exceeded the
 *     resident budget, coldest (least recently released) first; they stay warm, with their affinity
 *     and image mapping, and fault their pages in again on next use
 * @param budgetDecommitBytes the resident bytes those budget decommits dropped
 * @param waits allocations that found every slot in use and waited for one (with a positive {@link
 *     PoolSettings#maxWait() maxWait}, or a positive timeout of their own), counted once per call
 *     whether it then got a slot, timed out or was interrupted; an instantiation counts once per
 *     memory that waited
 * @param waitNanos the time those allocations spent waiting, in nanoseconds, added when each wait
 *     ends (so a wait in progress is not in it yet); {@code waitNanos / waits} is the mean wait
 */
public record PoolStats(
    int slots,
    int inUse,
    int unusedWarmSlots,
    int pendingDecommits,
    long residentBytes,
    long affinityHits,
    long affinityMisses,
    long coldAllocations,
    long evictions,
    long failedAllocations,
    long imageMappings,
    long decommits,
    long decommitBatches,
    long leakedLeases,
    ResidentMode mode,
    long residentBudgetBytes,
    long copiedBytes,
    long zeroedBytes,
    long decommitBytes,
    long budgetDecommits,
    long budgetDecommitBytes,
    long waits,
    long waitNanos) {

  /** Bytes that resets restored by hand, by copy or by zero-fill. */
  public long restoredBytes() {
    return copiedBytes + zeroedBytes;
  }

  /** Slots never used yet. */
  public int coldSlots() {
    return slots - inUse - unusedWarmSlots - pendingDecommits;
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
