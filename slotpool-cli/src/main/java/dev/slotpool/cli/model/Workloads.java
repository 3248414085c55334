package dev.slotpool.cli.model;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.trace.Trace;
import java.util.SplittableRandom;

/** The generated workloads: uniform, zipf, hotspot and phased. Traces are in {@link Trace}. */
public final class Workloads {
  /** The names accepted by {@link #generated}, for messages and help. */
  public static final String NAMES = "uniform, zipf, hotspot, phased, trace:FILE";

  private Workloads() {}

  /**
   * Creates a generated workload.
   *
   * @param name uniform, zipf, hotspot or phased
   * @param keys the number of keys, at least 1
   * @param skew zipf's exponent s (key k is drawn with weight 1 / (k+1)^s); also used by phased
   * @param hotFraction hotspot's share of keys that are hot, in (0, 1]
   * @param hotProbability hotspot's probability of drawing a hot key, in [0, 1]
   * @param phases phased's number of phases, at least 1
   * @param seed phased's seed for the popularity order of each phase
   * @throws BadInputException if the name is unknown or a parameter is out of range
   */
  public static Workload generated(
      String name,
      int keys,
      double skew,
      double hotFraction,
      double hotProbability,
      int phases,
      long seed) {
    if (keys < 1) {
      throw new BadInputException("--keys: " + keys + " (expected: >= 1)");
    }
    return switch (name) {
      case "uniform" -> new Uniform(keys);
      case "zipf" -> new Zipf(keys, checkSkew(skew));
      case "hotspot" -> {
        if (!(hotFraction > 0 && hotFraction <= 1)) {
          throw new BadInputException("--hot-keys: " + hotFraction + " (expected: 0 < x <= 1)");
        }
        if (!(hotProbability >= 0 && hotProbability <= 1)) {
          throw new BadInputException("--hot-prob: " + hotProbability + " (expected: 0 <= p <= 1)");
        }
        yield new Hotspot(keys, hotFraction, hotProbability);
      }
      case "phased" -> {
        int most = Math.max(1, (1 << 24) / keys);
        if (phases < 1 || phases > most) {
          throw new BadInputException(
              "--phases: "
                  + phases
                  + " (expected: 1 <= N <= "
                  + most
                  + " with "
                  + keys
                  + " keys, at most 2^24 keys x phases)");
        }
        yield new Phased(keys, checkSkew(skew), phases, seed);
      }
      default ->
          throw new BadInputException(
              "--workload: unknown workload '" + name + "' (expected one of: " + NAMES + ")");
    };
  }

  private static double checkSkew(double skew) {
    if (!(skew >= 0) || Double.isInfinite(skew)) {
      throw new BadInputException("--skew: " + skew + " (expected: a finite number >= 0)");
    }
    return skew;
  }

  static double[] zipfWeights(int keys, double skew) {
    double[] weights = new double[keys];
    for (int k = 0; k < keys; k++) {
      weights[k] = 1.0 / Math.pow(k + 1, skew);
    }
    return weights;
  }

  /** Every key equally likely. */
  record Uniform(int keys) implements Workload {
    @Override
    public int nextKey(SplittableRandom random, long step, long steps) {
      return random.nextInt(keys);
    }

    @Override
    public String describe() {
      return "uniform";
    }
  }

  /** Key k drawn with weight 1 / (k+1)^s: a few popular modules and a long tail. */
  static final class Zipf implements Workload {
    private final AliasTable table;
    private final double skew;

    Zipf(int keys, double skew) {
      this.table = new AliasTable(zipfWeights(keys, skew));
      this.skew = skew;
    }

    @Override
    public int keys() {
      return table.size();
    }

    @Override
    public int nextKey(SplittableRandom random, long step, long steps) {
      return table.sample(random);
    }

    @Override
    public String describe() {
      return "zipf(s=" + skew + ")";
    }
  }

  /** A hot set of the first keys drawn with a fixed probability, the rest uniformly. */
  record Hotspot(int keys, int hot, double hotFraction, double hotProbability) implements Workload {
    Hotspot(int keys, double hotFraction, double hotProbability) {
      this(keys, Math.max(1, (int) Math.ceil(keys * hotFraction)), hotFraction, hotProbability);
    }

    @Override
    public int nextKey(SplittableRandom random, long step, long steps) {
      if (hot == keys || random.nextDouble() < hotProbability) {
        return random.nextInt(hot);
      }
      return hot + random.nextInt(keys - hot);
    }

    @Override
    public String describe() {
      return "hotspot(keys=" + hotFraction + ", prob=" + hotProbability + ")";
    }
  }

  /**
   * Zipf popularity that changes between equal phases of the run: each phase ranks the keys in its
   * own random order, as when traffic moves from one set of modules to another.
   */
  static final class Phased implements Workload {
    private final AliasTable ranks;
    private final int[] keyOfRank;
    private final int keys;
    private final int phases;
    private final double skew;

    Phased(int keys, double skew, int phases, long seed) {
      this.ranks = new AliasTable(zipfWeights(keys, skew));
      this.keys = keys;
      this.phases = phases;
      this.skew = skew;
      keyOfRank = new int[keys * phases];
      SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
      for (int p = 0; p < phases; p++) {
        int base = p * keys;
        for (int k = 0; k < keys; k++) {
          keyOfRank[base + k] = k;
        }
        for (int k = keys - 1; k > 0; k--) {
          int j = random.nextInt(k + 1);
          int t = keyOfRank[base + k];
          keyOfRank[base + k] = keyOfRank[base + j];
          keyOfRank[base + j] = t;
        }
      }
    }

    @Override
    public int keys() {
      return keys;
    }

    @Override
    public int nextKey(SplittableRandom random, long step, long steps) {
      int phase = (int) Math.min(phases - 1, step * phases / Math.max(1, steps));
      return keyOfRank[phase * keys + ranks.sample(random)];
    }

    @Override
    public String describe() {
      return "phased(phases=" + phases + ", s=" + skew + ")";
    }
  }
}
