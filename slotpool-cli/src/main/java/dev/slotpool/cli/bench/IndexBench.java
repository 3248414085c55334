package dev.slotpool.cli.bench;

import dev.slotpool.cli.model.Policy;
import dev.slotpool.cli.model.Simulator;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;

/**
 * Measures how fast a policy serves a workload: the mean time of one step (an alloc or a free) of
 * the step model, with the random choices made before the clock starts.
 *
 * <p>Each thread replays its own pre-generated tape of steps (keys to allocate, indexes of held
 * slots to free) against the shared policy, so the timed loop does no more than read two arrays and
 * call the allocator. This is a quick figure for comparing allocators on a workload; the JMH
 * benchmarks in slotpool-bench are the careful measurement. Not thread-safe.
 */
public final class IndexBench {
  private static final int TAPE = 1 << 20;

  private final Simulator.Config config;
  private final int maxWarm;

  /** Creates a benchmark of {@code config}'s workload with threshold {@code maxWarm}. */
  public IndexBench(Simulator.Config config, int maxWarm) {
    this.config = config;
    this.maxWarm = maxWarm;
  }

  /**
   * Runs {@code iterations} timed runs of {@code config.ops()} steps after {@code warmups} untimed
   * ones, each on a fresh policy, and returns the median nanoseconds per step.
   */
  public double nanosPerOp(Policy.Kind kind, int warmups, int iterations) {
    int threads = config.threads();
    SplittableRandom seeds = new SplittableRandom(config.seed());
    int[][] keys = new int[threads][];
    int[][] picks = new int[threads][];
    for (int t = 0; t < threads; t++) {
      SplittableRandom random = seeds.split();
      int length = (int) Math.min(TAPE, config.ops());
      keys[t] = new int[length];
      picks[t] = new int[length];
      for (int i = 0; i < length; i++) {
        // The simulator's coin, drawn ahead: a pick >= 0 means "free if anything is held", and
        // every step carries a key for when nothing is.
        boolean free = random.nextDouble() < config.freeProbability();
        keys[t][i] = config.workload().nextKey(random, i, length);
        picks[t][i] = free ? random.nextInt(Integer.MAX_VALUE) : -1;
      }
    }
    List<Double> timed = new ArrayList<>();
    for (int round = 0; round < warmups + iterations; round++) {
      Policy policy = kind.create(config.slots(), maxWarm, config.keys(), config.seed());
      long nanos = threads == 1 ? runOne(policy, keys[0], picks[0]) : runMany(policy, keys, picks);
      if (round >= warmups) {
        timed.add((double) nanos / config.ops());
      }
    }
    timed.sort(null);
    return timed.get(timed.size() / 2);
  }

  private long runOne(Policy policy, int[] keys, int[] picks) {
    long start = System.nanoTime();
    steps(policy, keys, picks, config.ops(), config.slots());
    return System.nanoTime() - start;
  }

  private long runMany(Policy policy, int[][] keys, int[][] picks) {
    int threads = keys.length;
    List<Thread> running = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int t = 0; t < threads; t++) {
      int[] k = keys[t];
      int[] p = picks[t];
      long share = config.ops() / threads + (t < config.ops() % threads ? 1 : 0);
      running.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      go.await();
                    } catch (InterruptedException e) {
                      return;
                    }
                    steps(policy, k, p, share, config.slots());
                  }));
    }
    long start = System.nanoTime();
    go.countDown();
    for (Thread thread : running) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while benchmarking", e);
      }
    }
    return System.nanoTime() - start;
  }

  private static void steps(Policy policy, int[] keys, int[] picks, long count, int slots) {
    final int length = keys.length;
    final int[] held = new int[slots];
    int heldCount = 0;
    int t = 0;
    for (long i = 0; i < count; i++) {
      int pick = picks[t];
      if (pick >= 0 && heldCount > 0) {
        int index = pick % heldCount;
        int slot = held[index];
        held[index] = held[--heldCount];
        policy.free(slot, 0);
      } else {
        int slot = policy.alloc(keys[t]);
        if (slot != Policy.NO_SLOT) {
          held[heldCount++] = slot;
        }
      }
      if (++t == length) {
        t = 0;
      }
    }
  }
}
