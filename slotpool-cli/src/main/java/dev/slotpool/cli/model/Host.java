package dev.slotpool.cli.model;

import java.util.Arrays;

/**
 * One pool of a simulated fleet (a fleet of one without {@code --hosts}): its policy, the last key
 * of each slot, its resident memory and its share of the requests.
 *
 * <p>Not thread-safe by itself: the simulator writes a slot's entry only while holding the slot,
 * and serializes the rest.
 */
final class Host {
  static final int COLD = -1;

  final Policy policy;
  final int[] lastKey;
  final Residency memory;
  long routed;
  int inFlight;
  int peakInFlight;

  Host(Policy policy, int slots, MemoryModel model) {
    this.policy = policy;
    this.lastKey = new int[slots];
    Arrays.fill(lastKey, COLD);
    this.memory = new Residency(slots, model);
  }

  /** Starts measuring: counts from zero, peaks from what is now. */
  void resetCounters() {
    routed = 0;
    peakInFlight = inFlight;
    memory.resetPeak();
  }
}
