package dev.slotpool.chicory;

/**
 * The snapshot counters of a {@link WasmInstancePool}, taken by {@link
 * WasmInstancePool#snapshotStats()}. The slots that snapshot instances lease are counted in the
 * pool's {@link dev.slotpool.memory.PoolStats} as any others (a snapshot is one affinity key per
 * memory).
 *
 * @param liveSnapshots snapshots taken and not yet closed
 * @param imageBytes the bytes the live snapshots' memory images span (mostly holes in memory: an
 *     image keeps resident only the pages the init wrote)
 * @param snapshotsTaken snapshots taken since the pool was built
 * @param instantiations instances started from a snapshot since the pool was built
 */
public record SnapshotStats(
    int liveSnapshots, long imageBytes, long snapshotsTaken, long instantiations) {}
