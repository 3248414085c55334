package dev.slotpool.chicory;

import dev.slotpool.chicory.RecycleStats.Reason;
import java.util.EnumMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind a {@link RecycleStats}: one {@link LongAdder} each, so that counting from
 * many request threads never contends. Thread-safe.
 */
final class RecycleCounters {
  private final LongAdder recycled = new LongAdder();
  private final LongAdder built = new LongAdder();
  private final EnumMap<Reason, LongAdder> notRecycled = new EnumMap<>(Reason.class);

  RecycleCounters() {
    for (Reason reason : Reason.values()) {
      notRecycled.put(reason, new LongAdder());
    }
  }

  void recycled() {
    recycled.increment();
  }

  void built() {
    built.increment();
  }

  void notRecycled(Reason reason) {
    notRecycled.get(reason).increment();
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
