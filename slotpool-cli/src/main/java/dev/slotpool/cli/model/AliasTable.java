package dev.slotpool.cli.model;

import java.util.SplittableRandom;

/**
 * Samples an index from a fixed discrete distribution in O(1) time, with Vose's alias method.
 *
 * <p>Immutable and thread-safe once built; {@link #sample} allocates nothing.
 */
public final class AliasTable {
  /*
   * Implementation notes.
   *
   * Column i keeps probability prob[i] for itself and gives the rest to alias[i]; every column
   * holds exactly 1/n of the mass. Sampling picks a column uniformly, then one coin flip chooses
   * between i and alias[i]. Building pairs an under-full column with an over-full one until both
   * work lists are empty, O(n). Leftover columns (rounding) keep prob 1.
   */

  private final double[] prob;
  private final int[] alias;

  /**
   * Builds the table for weights that need not sum to 1.
   *
   * @throws IllegalArgumentException if there are no weights, one is negative or not finite, or all
   *     are zero
   */
  public AliasTable(double[] weights) {
    int n = weights.length;
    if (n == 0) {
      throw new IllegalArgumentException("weights: empty (expected: at least one)");
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double w = weights[i];
      if (!(w >= 0) || Double.isInfinite(w)) {
        throw new IllegalArgumentException(
            "weights[" + i + "]: " + w + " (expected: finite and >= 0)");
      }
      sum += w;
    }
    if (sum <= 0) {
      throw new IllegalArgumentException("weights: all zero (expected: a positive sum)");
    }
    prob = new double[n];
    alias = new int[n];
    double[] scaled = new double[n];
    int[] small = new int[n];
    int[] large = new int[n];
    int smallCount = 0;
    int largeCount = 0;
    for (int i = 0; i < n; i++) {
      scaled[i] = weights[i] * n / sum;
      if (scaled[i] < 1.0) {
        small[smallCount++] = i;
      } else {
        large[largeCount++] = i;
      }
    }
    while (smallCount > 0 && largeCount > 0) {
      int less = small[--smallCount];
      int more = large[--largeCount];
      prob[less] = scaled[less];
      alias[less] = more;
      scaled[more] = (scaled[more] + scaled[less]) - 1.0;
      if (scaled[more] < 1.0) {
        small[smallCount++] = more;
      } else {
        large[largeCount++] = more;
      }
    }
    while (largeCount > 0) {
      int i = large[--largeCount];
      prob[i] = 1.0;
      alias[i] = i;
    }
    while (smallCount > 0) {
      int i = small[--smallCount];
      prob[i] = 1.0;
      alias[i] = i;
    }
  }

  /** The number of outcomes. */
  public int size() {
    return prob.length;
  }

  /** Draws an outcome in {@code [0, size())}. */
  public int sample(SplittableRandom random) {
    int column = random.nextInt(prob.length);
    return random.nextDouble() < prob[column] ? column : alias[column];
  }
}
