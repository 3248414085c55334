package dev.slotpool.chicory;

import java.util.Map;

/**
 * How the instantiations of prepared modules got their instances: {@code recycled} reused an
 * instance parked with its warm slot (reset to the module's initial state, nothing constructed);
 * {@code built} constructed one. {@code notRecycled} says why, per reason: an instantiation that
 * built is counted under the reason it found ({@link Reason#NO_INSTANCE_ON_SLOT}, or a reason the
 * module can never be recycled for), and an instance dropped at close instead of parked is counted
 * under the reason it was dropped for. Reasons with no count are absent.
 *
 * @param recycled instantiations that reused a parked instance
 * @param built instantiations that constructed an instance
 * @param notRecycled the counts per reason (see above), an unmodifiable map
 */
public record RecycleStats(long recycled, long built, Map<Reason, Long> notRecycled) {

  public RecycleStats {
    notRecycled = Map.copyOf(notRecycled);
  }

  /** Why an instance was not recycled. */
  public enum Reason {
    /** The slot held no parked instance of the module: its first use, or another module's since. */
    NO_INSTANCE_ON_SLOT,
    /** The instance's close cancelled a call: the instance was dropped. */
    CANCELLED,
    /** A request grew a table, which a table cannot undo: the instance was dropped. */
    TABLE_GROWN,
    /** The module was purged, or the pool closed, while the instance was out. */
    PURGED,
    /** The module's imports hold host state: an imported memory or table, a mutable global. */
    HOST_STATE,
    /** The module does not define exactly one memory (or imports one). */
    MEMORY_LAYOUT,
    /** The module has a start function, whose effects the memory's image does not hold. */
    START_FUNCTION,
    /**
     * The module keeps references the pool does not restore: exceptions, GC types, tables other
     * than of functions, reference-typed mutable globals.
     */
    REFERENCE_STATE
  }
}
