package dev.slotpool.bench.index;

import dev.slotpool.index.AffinityAllocator;
import java.util.SplittableRandom;

/**
 * The seed's random test as a workload: each step frees a random held slot with probability 1/2
 * (when any is held), else allocates for a key drawn from a given distribution. Every random
 * decision is drawn up front, so a step costs the allocator call and a few array reads.
 *
 * <p>Not thread-safe: one per benchmark thread.
 */
final class MixWorkload {
  private static final int STEPS = 1 << 16;

  private final boolean[] free = new boolean[STEPS];
  private final int[] pick = new int[STEPS];
  private final Object[] key = new Object[STEPS];
  private final int[] held;
  private int count;
  private int step;

  /**
   * @param capacity the allocator's capacity: the most slots this workload can hold
   * @param keys the key of each step, drawn by the caller from its popularity distribution
   */
  MixWorkload(int capacity, Object[] keys, long seed) {
    if (keys.length != STEPS) {
      throw new IllegalArgumentException("keys: " + keys.length + " (expected: " + STEPS + ")");
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < STEPS; i++) {
      free[i] = rnd.nextBoolean();
      pick[i] = rnd.nextInt();
      key[i] = keys[i];
    }
    held = new int[capacity];
  }

  /** Keys drawn uniformly from {@code 0..keys-1}, boxed once. */
  static Object[] uniformKeys(int keys, long seed) {
    Integer[] pool = new Integer[keys];
    for (int k = 0; k < keys; k++) {
      pool[k] = k;
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    Object[] out = new Object[STEPS];
    for (int i = 0; i < STEPS; i++) {
      out[i] = pool[rnd.nextInt(keys)];
    }
    return out;
  }

  /** Keys {@code 0..keys-1} with Zipf({@code s}) popularity: key k has weight 1/(k+1)^s. */
  static Object[] zipfKeys(int keys, double s, long seed) {
    double[] cdf = new double[keys];
    double sum = 0;
    for (int k = 0; k < keys; k++) {
      sum += 1 / Math.pow(k + 1, s);
      cdf[k] = sum;
    }
    Integer[] pool = new Integer[keys];
    for (int k = 0; k < keys; k++) {
      pool[k] = k;
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    Object[] out = new Object[STEPS];
    for (int i = 0; i < STEPS; i++) {
      int k = java.util.Arrays.binarySearch(cdf, rnd.nextDouble() * sum);
      out[i] = pool[Math.min(keys - 1, k < 0 ? -k - 1 : k)];
    }
    return out;
  }

  /** Runs one step on {@code a}; returns the slot touched, or NO_SLOT, for the blackhole. */
  int step(AffinityAllocator<Object> a) {
    int i = step++ & (STEPS - 1);
    int n = count;
    if (n > 0 && free[i]) {
      // Lemire's multiply-shift: a uniform index in [0, n) without a division.
      int at = (int) (((pick[i] & 0xFFFF_FFFFL) * n) >>> 32);
      int slot = held[at];
      held[at] = held[n - 1];
      count = n - 1;
      a.free(slot, 0);
      return slot;
    }
    int slot = a.alloc(key[i]);
    if (slot >= 0) {
      held[n] = slot;
      count = n + 1;
    }
    return slot;
  }

  /** Frees every slot still held. */
  void drain(AffinityAllocator<Object> a) {
    while (count > 0) {
      a.free(held[--count], 0);
    }
  }
}
