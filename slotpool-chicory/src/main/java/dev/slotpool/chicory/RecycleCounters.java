package dev.slotpool.chicory;

import dev.slotpool.chicory.RecycleStats.Reason;
import java.util.EnumMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind a {@link RecycleStats}: one {@link LongAdder} each, so that counting from
 * many request threads never contends; a prepared module's counters also count into its pool's.
 * Thread-safe.
 */
final class RecycleCounters {
  private final RecycleCounters parent; // the pool's, or null for the pool's own
  private final LongAdder recycled = new LongAdder();
  private final LongAdder built = new LongAdder();
  private final EnumMap<Reason, LongAdder> notRecycled = new EnumMap<>(Reason.class);

  /** Counters that also count into {@code parent} (null: none). */
  RecycleCounters(RecycleCounters parent) {
    this.parent = parent;
    for (Reason reason : Reason.values()) {
      notRecycled.put(reason, new LongAdder());
    }
  }

  void recycled() {
    recycled.increment();
    if (parent != null) {
      parent.recycled();
    }
  }

  void built() {
    built.increment();
    if (parent != null) {
      parent.built();
    }
  }

  void notRecycled(Reason reason) {
    notRecycled.get(reason).increment();
    if (parent != null) {
      parent.notRecycled(reason);
    }
  }

  /** The counts now; reasons never counted are left out. */
  RecycleStats stats() {
    var reasons = new EnumMap<Reason, Long>(Reason.class);
    notRecycled.forEach(
        (reason, count) -> {
          long n = count.sum();
          if (n != 0) {
            reasons.put(reason, n);
          }
        });
    return new RecycleStats(recycled.sum(), built.sum(), reasons);
  }
}
