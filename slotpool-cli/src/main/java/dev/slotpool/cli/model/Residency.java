package dev.slotpool.cli.model;

/**
 * The resident bytes of one pool's warm slots under its {@link MemoryModel}.
 *
 * <p>A freed slot keeps the bytes its use wrote (adaptive) or at most keep-resident of them
 * (fixed). Under the adaptive policy the warm slots holding memory are kept in the order they were
 * freed, and while their sum exceeds the budget the coldest is decommitted (keeps 0 bytes, stays
 * warm). Not thread-safe: the simulator serializes the calls of one pool.
 */
final class Residency {
  /*
   * Implementation notes. Warm slots that hold bytes form an intrusive doubly linked list through
   * prev/next (slot numbers, -1 for none), head = coldest; a free appends, taking a slot unlinks
   * it, a decommit unlinks the head. Everything is O(1) and allocation-free per call.
   * Invariant: bytes == sum of resident[s] over warm slots s, and under the adaptive policy
   * bytes <= budget after every call.
   */

  private final boolean adaptive;
  private final long limit;
  private final long[] resident;
  private final int[] prev;
  private final int[] next;
  private int head = -1;
  private int tail = -1;

  long warm;
  long bytes;
  long peakBytes;
  long decommits;

  Residency(int slots, MemoryModel model) {
    this.adaptive = model.adaptive();
    this.limit = model.bytes();
    this.resident = new long[slots];
    this.prev = new int[slots];
    this.next = new int[slots];
  }

  /**
   * A slot is freed after its use wrote {@code written} bytes.
   *
   * @return the bytes the slot keeps resident
   */
  long free(int slot, long written) {
    long kept = adaptive ? written : Math.min(written, limit);
    resident[slot] = kept;
    warm++;
    bytes += kept;
    if (adaptive && kept > 0) {
      prev[slot] = tail;
      next[slot] = -1;
      if (tail >= 0) {
        next[tail] = slot;
      } else {
        head = slot;
      }
      tail = slot;
      while (bytes > limit) {
        int coldest = head;
        bytes -= resident[coldest];
        resident[coldest] = 0;
        unlink(coldest);
        decommits++;
      }
    }
    if (bytes > peakBytes) {
      peakBytes = bytes;
    }
    return resident[slot];
  }

  /**
   * A warm slot is taken by a new use.
   *
   * @return the bytes it still kept resident
   */
  long take(int slot) {
    long was = resident[slot];
    warm--;
    bytes -= was;
    if (was > 0) {
      resident[slot] = 0;
      if (adaptive) {
        unlink(slot);
      }
    }
    return was;
  }

  /** Starts a new measurement: the peak is what is resident now. */
  void resetPeak() {
    peakBytes = bytes;
    decommits = 0;
  }

  private void unlink(int slot) {
    int p = prev[slot];
    int n = next[slot];
    if (p >= 0) {
      next[p] = n;
    } else {
      head = n;
    }
    if (n >= 0) {
      prev[n] = p;
    } else {
      tail = p;
    }
  }
}
