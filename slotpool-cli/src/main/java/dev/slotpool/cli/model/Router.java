package dev.slotpool.cli.model;

import dev.slotpool.cli.input.BadInputException;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A model of a load balancer in front of a fleet of pools: which host a request goes to.
 *
 * <p>{@code random} and {@code round-robin} ignore the key; {@code hash} is consistent hashing (a
 * ring of {@value #POINTS_PER_HOST} points per host; a key goes to the first point at or after its
 * hash), so every request for a module goes to the same host; {@code bounded-hash} is consistent
 * hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, 2018; the policy of Envoy's
 * ring-hash and Maglev balancers with a load bound and of HAProxy's {@code hash-balance-factor}): a
 * host takes a request only while its requests in flight stay below {@code ceil((1 + e) * (m + 1) /
 * n)} for m in flight over n hosts, otherwise the request walks on along the ring. The model
 * routes; it is not a balancer.
 *
 * <p>Not thread-safe (round-robin keeps a counter); the simulator routes from one thread.
 */
public final class Router {
  /*
   * Implementation notes. The ring is two arrays sorted by point (ringHost[i] owns point i);
   * keyStart[k] is the ring index where key k's walk starts, computed once, so routing a request
   * costs O(1) for hash and, for bounded-hash, a walk that ends at the first host under the bound
   * (one must exist: n hosts all at or over the bound would hold more than m requests).
   */

  /** Ring points per host for the hash policies. */
  public static final int POINTS_PER_HOST = 100;

  /** The routing policies. */
  public enum Kind {
    /** A uniformly random host. */
    RANDOM,
    /** Hosts in turn. */
    ROUND_ROBIN,
    /** Consistent hashing of the key. */
    HASH,
    /** Consistent hashing with bounded loads. */
    BOUNDED_HASH;

    /** The label, so that the command line's enum conversion and help use it. */
    @Override
    public String toString() {
      return label();
    }

    /** The name on the command line: random, round-robin, hash, bounded-hash. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private final Kind kind;
  private final int hosts;
  private final double balance;
  private final int[] ringHost;
  private final int[] keyStart;
  private int next;

  /**
   * Creates a router.
   *
   * @param kind the policy
   * @param hosts hosts behind it, at least 1
   * @param keys the number of keys
   * @param balanceFactor bounded-hash's e: a host takes at most (1 + e) times the mean load
   * @param seed the seed of the ring's hash
   */
  public Router(Kind kind, int hosts, int keys, double balanceFactor, long seed) {
    if (!(balanceFactor > 0) || balanceFactor > 100) {
      throw new BadInputException(
          "--balance-factor: " + balanceFactor + " (expected: 0 < E <= 100)");
    }
    this.kind = kind;
    this.hosts = hosts;
    this.balance = 1 + balanceFactor;
    if (kind == Kind.HASH || kind == Kind.BOUNDED_HASH) {
      int points = hosts * POINTS_PER_HOST;
      long[] packed = new long[points];
      long[] position = new long[points];
      for (int h = 0; h < hosts; h++) {
        for (int p = 0; p < POINTS_PER_HOST; p++) {
          position[h * POINTS_PER_HOST + p] = mix(seed ^ mix(h * 1_000_003L + p));
        }
      }
      // Sort points by position, carrying the host along.
      Integer[] order = new Integer[points];
      for (int i = 0; i < points; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Long.compareUnsigned(position[a], position[b]));
      ringHost = new int[points];
      for (int i = 0; i < points; i++) {
        packed[i] = position[order[i]];
        ringHost[i] = order[i] / POINTS_PER_HOST;
      }
      keyStart = new int[keys];
      for (int k = 0; k < keys; k++) {
        long h = mix(seed + 0x632BE59BD9B4E019L * (k + 1));
        int lo = 0;
        int hi = points;
        while (lo < hi) { // first point >= h, unsigned
          int mid = (lo + hi) >>> 1;
          if (Long.compareUnsigned(packed[mid], h) < 0) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        keyStart[k] = lo == points ? 0 : lo;
      }
    } else {
      ringHost = null;
      keyStart = null;
    }
  }

  /** The policy. */
  public Kind kind() {
    return kind;
  }

  /**
   * Picks the host for a request.
   *
   * @param key the request's key
   * @param random the caller's generator (random routing)
   * @param inFlight requests in flight per host now
   * @param total requests in flight over all hosts now
   */
  int route(int key, SplittableRandom random, int[] inFlight, long total) {
    return switch (kind) {
      case RANDOM -> random.nextInt(hosts);
      case ROUND_ROBIN -> {
        int h = next;
        next = h + 1 == hosts ? 0 : h + 1;
        yield h;
      }
      case HASH -> ringHost[keyStart[key]];
      case BOUNDED_HASH -> {
        long bound = (long) Math.ceil(balance * (total + 1) / hosts);
        int i = keyStart[key];
        while (inFlight[ringHost[i]] >= bound) {
          i = i + 1 == ringHost.length ? 0 : i + 1;
        }
        yield ringHost[i];
      }
    };
  }

  /** SplitMix64's finalizer: a well-mixed 64-bit hash. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
