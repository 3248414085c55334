package dev.slotpool.sim.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a workload against one policy and measures what the pool did.
 *
 * <p>The step model is the seed's random test: at each step, if any slot is held, free a uniformly
 * random held slot with probability {@code freeProbability}; otherwise allocate a slot for a key
 * drawn from the workload. A trace replaces the step model with its own events. With one thread a
 * run is a pure function of its configuration and seed; with more, each thread runs its share of
 * the steps with its own generator and held slots against the shared policy, and the interleaving
 * (so the result) varies from run to run.
 *
 * <p>Instances are immutable; {@link #run} may be called from several threads at once.
 */
public final class Simulator {
  /*
   * Implementation notes.
   *
   * The step loop allocates nothing: keys are ints (policies map them to preallocated objects),
   * the held set is an int array with swap-removal (O(1) random free), and per-slot facts live in
   * arrays indexed by slot: lastKey (COLD until first use) and resident (bytes kept since the last
   * free). A slot's entries are written only by the thread holding it, before free; the policy's
   * lock orders that write before the next alloc that returns the slot, so workers need no more
   * synchronization for them. Only the two gauges (warm slots and resident bytes, summed over all
   * slots) are shared atomics; each worker samples them after every step for the means and peaks.
   */

  private static final int COLD = -1;
  private static final int PROGRESS_EVERY = 1 << 14;

  private final Config config;

  /**
   * What to simulate, independent of the policy and its settings.
   *
   * @param workload where keys come from, or null when {@code trace} is given
   * @param trace a trace to replay, or null
   * @param slots the pool's capacity, at least 1
   * @param ops steps in all, across threads (ignored for a trace)
   * @param seed the seed of every generator
   * @param freeProbability the step model's probability of a free while slots are held
   * @param threads worker threads, at least 1 (1 for a trace)
   * @param bytesPerSlot bytes a module's instance makes resident in its slot
   * @param costs the cost model
   */
  public record Config(
      Workload workload,
      Trace trace,
      int slots,
      long ops,
      long seed,
      double freeProbability,
      int threads,
      long bytesPerSlot,
      CostModel costs) {

    /** The number of distinct keys. */
    public int keys() {
      return trace != null ? trace.keys() : workload.keys();
    }

    /** The steps a run takes. */
    public long steps() {
      return trace != null ? trace.events() : ops;
    }

    /** The workload's description. */
    public String describe() {
      return trace != null ? "trace:" + trace.name() : workload.describe();
    }
  }

  /** Creates a simulator for {@code config}. */
  public Simulator(Config config) {
    this.config = config;
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /**
   * Runs one policy.
   *
   * @param kind the policy
   * @param maxWarm its threshold (ignored by policies without one)
   * @param keepResident the most bytes a freed slot keeps resident
   * @param progress incremented with the steps done, every few thousand steps
   */
  public SimResult run(Policy.Kind kind, int maxWarm, long keepResident, AtomicLong progress) {
    Policy policy = kind.create(config.slots(), maxWarm, config.keys(), config.seed());
    return run(kind, policy, maxWarm, keepResident, progress);
  }

  /**
   * Runs a policy created by the caller, who may inspect it afterwards (tests compare the
   * simulator's counts with the library allocator's own statistics).
   *
   * @param policy a fresh policy of {@code kind} with capacity {@code config().slots()}
   */
  public SimResult run(
      Policy.Kind kind, Policy policy, int maxWarm, long keepResident, AtomicLong progress) {
    Shared shared = new Shared(config.slots());
    long kept = Math.min(config.bytesPerSlot(), keepResident);
    List<Worker> workers = new ArrayList<>();
    if (config.trace() != null || config.threads() == 1) {
      Worker worker = new Worker(policy, shared, kept, new SplittableRandom(config.seed()));
      if (config.trace() != null) {
        worker.replay(config.trace(), progress);
      } else {
        worker.steps(config.ops(), progress);
      }
      workers.add(worker);
    } else {
      int threads = config.threads();
      SplittableRandom seeds = new SplittableRandom(config.seed());
      List<Thread> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long share = config.ops() / threads + (t < config.ops() % threads ? 1 : 0);
        Worker worker = new Worker(policy, shared, kept, seeds.split());
        workers.add(worker);
        running.add(Thread.ofPlatform().start(() -> worker.steps(share, progress)));
      }
      for (Thread thread : running) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while simulating", e);
        }
      }
    }
    return combine(kind, maxWarm, kept, workers);
  }

  private SimResult combine(Policy.Kind kind, int maxWarm, long kept, List<Worker> workers) {
    long steps = 0;
    long allocs = 0;
    long hits = 0;
    long cold = 0;
    long evictions = 0;
    long failures = 0;
    double warmSum = 0;
    double residentSum = 0;
    long peakWarm = 0;
    long peakResident = 0;
    double cost = 0;
    for (Worker w : workers) {
      steps += w.steps;
      allocs += w.allocs;
      hits += w.hits;
      cold += w.cold;
      evictions += w.evictions;
      failures += w.failures;
      warmSum += w.warmSum;
      residentSum += w.residentSum;
      peakWarm = Math.max(peakWarm, w.peakWarm);
      peakResident = Math.max(peakResident, w.peakResident);
      cost += w.cost;
    }
    return new SimResult(
        kind.label(),
        kind.usesThreshold() ? maxWarm : -1,
        kept,
        config.slots(),
        config.keys(),
        steps,
        allocs,
        hits,
        cold,
        evictions,
        failures,
        steps == 0 ? 0 : warmSum / steps,
        peakWarm,
        steps == 0 ? 0 : residentSum / steps,
        peakResident,
        cost);
  }

  /** Per-slot facts and pool-wide gauges, shared by the workers of one run. */
  private static final class Shared {
    final int[] lastKey;
    final long[] resident;
    final AtomicLong warm = new AtomicLong();
    final AtomicLong residentBytes = new AtomicLong();

    Shared(int slots) {
      lastKey = new int[slots];
      Arrays.fill(lastKey, COLD);
      resident = new long[slots];
    }
  }

  /** One thread's share of a run, with its own held slots and counters. */
  private final class Worker {
    final Policy policy;
    final Shared shared;
    final long kept;
    final SplittableRandom random;
    final int[] held;
    int heldCount;
    long allocs;

    long steps;
    long hits;
    long cold;
    long evictions;
    long failures;
    double warmSum;
    double residentSum;
    long peakWarm;
    long peakResident;
    double cost;

    Worker(Policy policy, Shared shared, long kept, SplittableRandom random) {
      this.policy = policy;
      this.shared = shared;
      this.kept = kept;
      this.random = random;
      this.held = new int[config.slots()];
    }

    void steps(long count, AtomicLong progress) {
      final Workload workload = config.workload();
      final double freeProbability = config.freeProbability();
      final SplittableRandom random = this.random;
      for (long i = 0; i < count; i++) {
        if (heldCount > 0 && random.nextDouble() < freeProbability) {
          int index = random.nextInt(heldCount);
          int slot = held[index];
          held[index] = held[--heldCount];
          release(slot, kept);
        } else {
          int slot = acquire(workload.nextKey(random, i, count));
          if (slot != Policy.NO_SLOT) {
            held[heldCount++] = slot;
          }
        }
        sample();
        if ((i & (PROGRESS_EVERY - 1)) == PROGRESS_EVERY - 1) {
          progress.addAndGet(PROGRESS_EVERY);
        }
      }
      progress.addAndGet(count % PROGRESS_EVERY);
    }

    void replay(Trace trace, AtomicLong progress) {
      int[] slotOfAlloc = new int[trace.allocs()];
      int allocIndex = 0;
      int events = trace.events();
      for (int i = 0; i < events; i++) {
        if (trace.isAlloc(i)) {
          slotOfAlloc[allocIndex++] = acquire(trace.key(i));
        } else {
          int slot = slotOfAlloc[trace.freedAlloc(i)];
          if (slot != Policy.NO_SLOT) {
            long bytes = trace.freedBytes(i);
            release(slot, bytes < 0 ? kept : bytes);
          }
        }
        sample();
        if ((i & (PROGRESS_EVERY - 1)) == PROGRESS_EVERY - 1) {
          progress.addAndGet(PROGRESS_EVERY);
        }
      }
      progress.addAndGet(events % PROGRESS_EVERY);
    }

    private int acquire(int key) {
      int slot = policy.alloc(key);
      if (slot == Policy.NO_SLOT) {
        failures++;
        return slot;
      }
      allocs++;
      int last = shared.lastKey[slot];
      CostModel costs = config.costs();
      long working = config.bytesPerSlot();
      if (last == COLD) {
        cold++;
        cost += costs.cold() + costs.faults(working);
      } else {
        long wasResident = shared.resident[slot];
        shared.warm.decrementAndGet();
        shared.residentBytes.addAndGet(-wasResident);
        if (last == key) {
          hits++;
          cost += costs.hit() + costs.faults(working - wasResident);
        } else {
          evictions++;
          cost += costs.eviction() + costs.faults(working);
        }
      }
      shared.lastKey[slot] = key;
      return slot;
    }

    private void release(int slot, long bytes) {
      shared.resident[slot] = bytes;
      shared.warm.incrementAndGet();
      shared.residentBytes.addAndGet(bytes);
      policy.free(slot, bytes);
    }

    private void sample() {
      steps++;
      long warm = shared.warm.get();
      long resident = shared.residentBytes.get();
      warmSum += warm;
      residentSum += resident;
      if (warm > peakWarm) {
        peakWarm = warm;
      }
      if (resident > peakResident) {
        peakResident = resident;
      }
    }
  }
}
