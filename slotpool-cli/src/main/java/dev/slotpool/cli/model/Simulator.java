package dev.slotpool.cli.model;

import dev.slotpool.cli.trace.Trace;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a workload against one policy (on one pool, or on a fleet of pools behind a router) and
 * measures what the pools did.
 *
 * <p>A generated workload follows a {@link StepModel}: the steady state of a server (the default)
 * or the seed's random test; a trace replaces it with its own events. With one thread a run is a
 * pure function of its configuration and seed; with more (the seed model only), each thread runs
 * its share of the steps with its own generator and held slots against the shared pool, and the
 * interleaving (so the result) varies from run to run.
 *
 * <p>Instances are immutable; {@link #run} may be called from several threads at once.
 */
public final class Simulator {
  /*
   * Implementation notes.
   *
   * The step loops allocate nothing: keys are ints (policies map them to preallocated objects),
   * held slots are ints (host * slots + slot) in an array with swap-removal (the seed model) or in
   * an EventHeap keyed by departure time (the steady model), and per-slot facts live in each
   * Host's arrays. A slot's lastKey is written only by the thread holding it, before free; the
   * policy's lock orders that write before the next alloc that returns the slot. With several
   * threads the rest of the shared state (residency, gauges, in-flight counts) is updated under
   * the host's monitor, and each worker samples the gauges under it after every step.
   */

  private static final int PROGRESS_EVERY = 1 << 14;
  private static final int ARRIVAL = -1;

  private final Config config;

  /**
   * What to simulate, independent of the policy and its settings: a generated workload ({@link
   * #generated}) or a trace ({@link #replay}), then the {@code with...} settings, each returning a
   * copy. The defaults: one thread, 1 MiB written per request, {@link CostModel#DEFAULT}, one host.
   *
   * <p>Immutable.
   */
  public static final class Config {
    private final Workload workload;
    private final Trace trace;
    private final StepModel model;
    private final int slots;
    private final long ops;
    private final long seed;
    private final int threads;
    private final long bytesPerSlot;
    private final CostModel costs;
    private final int hosts;
    private final Router.Kind routing;
    private final double balanceFactor;

    private Config(
        Workload workload,
        Trace trace,
        StepModel model,
        int slots,
        long ops,
        long seed,
        int threads,
        long bytesPerSlot,
        CostModel costs,
        int hosts,
        Router.Kind routing,
        double balanceFactor) {
      this.workload = workload;
      this.trace = trace;
      this.model = model;
      this.slots = slots;
      this.ops = ops;
      this.seed = seed;
      this.threads = threads;
      this.bytesPerSlot = bytesPerSlot;
      this.costs = costs;
      this.hosts = hosts;
      this.routing = routing;
      this.balanceFactor = balanceFactor;
    }

    /**
     * A generated workload.
     *
     * @param workload where keys come from
     * @param model how requests come and go
     * @param slots each pool's capacity, at least 1
     * @param ops measured steps in all, across threads
     * @param seed the seed of every generator
     */
    public static Config generated(
        Workload workload, StepModel model, int slots, long ops, long seed) {
      return new Config(
          workload,
          null,
          model,
          slots,
          ops,
          seed,
          1,
          1L << 20,
          CostModel.DEFAULT,
          1,
          Router.Kind.BOUNDED_HASH,
          0.25);
    }

    /**
     * A trace replayed in order (its own events, so no step model, steps or seed of its own).
     *
     * @param slots each pool's capacity, at least 1
     * @param seed the seed of the policies' own random choices (the random baseline)
     */
    public static Config replay(Trace trace, int slots, long seed) {
      return new Config(
          null,
          trace,
          null,
          slots,
          trace.events(),
          seed,
          1,
          1L << 20,
          CostModel.DEFAULT,
          1,
          Router.Kind.BOUNDED_HASH,
          0.25);
    }

    /** As this, with worker threads sharing the pool (the seed model only), at least 1. */
    public Config withThreads(int threads) {
      return new Config(
          workload,
          trace,
          model,
          slots,
          ops,
          seed,
          threads,
          bytesPerSlot,
          costs,
          hosts,
          routing,
          balanceFactor);
    }

    /** As this, with bytes a request writes in its slot (unless a trace says otherwise). */
    public Config withBytesPerSlot(long bytesPerSlot) {
      return new Config(
          workload,
          trace,
          model,
          slots,
          ops,
          seed,
          threads,
          bytesPerSlot,
          costs,
          hosts,
          routing,
          balanceFactor);
    }

    /** As this, with another cost model. */
    public Config withCosts(CostModel costs) {
      return new Config(
          workload,
          trace,
          model,
          slots,
          ops,
          seed,
          threads,
          bytesPerSlot,
          costs,
          hosts,
          routing,
          balanceFactor);
    }

    /**
     * As this, for {@code hosts} pools behind a router.
     *
     * @param routing how the router picks a pool
     * @param balanceFactor bounded-hash's bound: (1 + factor) times the mean load
     */
    public Config withFleet(int hosts, Router.Kind routing, double balanceFactor) {
      return new Config(
          workload,
          trace,
          model,
          slots,
          ops,
          seed,
          threads,
          bytesPerSlot,
          costs,
          hosts,
          routing,
          balanceFactor);
    }

    /** Where keys come from, or null for a trace. */
    public Workload workload() {
      return workload;
    }

    /** The trace replayed, or null. */
    public Trace trace() {
      return trace;
    }

    /** The step model of a generated workload, or null for a trace. */
    public StepModel model() {
      return model;
    }

    /** Each pool's capacity. */
    public int slots() {
      return slots;
    }

    /** Measured steps in all (a trace's events for a trace). */
    public long ops() {
      return ops;
    }

    /** The seed of every generator. */
    public long seed() {
      return seed;
    }

    /** Worker threads. */
    public int threads() {
      return threads;
    }

    /** Bytes a request writes in its slot. */
    public long bytesPerSlot() {
      return bytesPerSlot;
    }

    /** The cost model. */
    public CostModel costs() {
      return costs;
    }

    /** Pools behind the router. */
    public int hosts() {
      return hosts;
    }

    /** How the router picks a pool. */
    public Router.Kind routing() {
      return routing;
    }

    /** Bounded-hash's bound: (1 + factor) times the mean load. */
    public double balanceFactor() {
      return balanceFactor;
    }

    /** The number of distinct keys. */
    public int keys() {
      return trace != null ? trace.keys() : workload.keys();
    }

    /** The warm-up steps run before the measured ones. */
    public long warmup() {
      return trace == null && model instanceof StepModel.Steady s ? s.warmup() : 0;
    }

    /** The measured steps of a run. */
    public long steps() {
      return trace != null ? trace.events() : ops;
    }

    /** The steps a run takes, warm-up included. */
    public long totalSteps() {
      return steps() + warmup();
    }

    /** The seed model's free probability, 0.5 for other models (bench index's tape). */
    public double freeProbability() {
      return model instanceof StepModel.Seed s ? s.freeProbability() : 0.5;
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
   * @param memory the pools' reset policy
   * @param progress incremented with the steps done, every few thousand steps
   */
  public SimResult run(Policy.Kind kind, int maxWarm, MemoryModel memory, AtomicLong progress) {
    Policy[] policies = new Policy[config.hosts()];
    for (int h = 0; h < policies.length; h++) {
      policies[h] = kind.create(config.slots(), maxWarm, config.keys(), config.seed() + h);
    }
    return run(kind, policies, maxWarm, memory, progress);
  }

  /**
   * Runs policies created by the caller, who may inspect them afterwards (tests compare the
   * simulator's counts with the library allocator's own statistics).
   *
   * @param policies a fresh policy of {@code kind} with capacity {@code config().slots()} per host
   */
  public SimResult run(
      Policy.Kind kind, Policy[] policies, int maxWarm, MemoryModel memory, AtomicLong progress) {
    Fleet fleet = new Fleet(config, policies, memory);
    List<Worker> workers = new ArrayList<>();
    if (config.trace() != null) {
      Worker worker = new Worker(fleet, new SplittableRandom(config.seed()), false);
      worker.replay(config.trace(), progress);
      workers.add(worker);
    } else if (config.model() instanceof StepModel.Steady steady) {
      Worker worker = new Worker(fleet, new SplittableRandom(config.seed()), false);
      worker.steady(steady, config.ops(), progress);
      workers.add(worker);
    } else if (config.threads() == 1) {
      Worker worker = new Worker(fleet, new SplittableRandom(config.seed()), false);
      worker.seed((StepModel.Seed) config.model(), config.ops(), progress);
      workers.add(worker);
    } else {
      int threads = config.threads();
      SplittableRandom seeds = new SplittableRandom(config.seed());
      List<Thread> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long share = config.ops() / threads + (t < config.ops() % threads ? 1 : 0);
        Worker worker = new Worker(fleet, seeds.split(), true);
        workers.add(worker);
        StepModel.Seed model = (StepModel.Seed) config.model();
        running.add(Thread.ofPlatform().start(() -> worker.seed(model, share, progress)));
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
    return Results.combine(config, kind, maxWarm, memory, fleet, workers);
  }

  /** The pools of one run and the gauges summed over them. */
  static final class Fleet {
    final Host[] hosts;
    final Router router;
    final int[] inFlight;
    final int slots;
    long totalInFlight;
    long warm;
    long resident;

    Fleet(Config config, Policy[] policies, MemoryModel memory) {
      hosts = new Host[policies.length];
      for (int h = 0; h < hosts.length; h++) {
        hosts[h] = new Host(policies[h], config.slots(), memory);
      }
      slots = config.slots();
      inFlight = new int[hosts.length];
      router =
          hosts.length == 1
              ? null
              : new Router(
                  config.routing(),
                  hosts.length,
                  config.keys(),
                  config.balanceFactor(),
                  config.seed());
    }
  }

  /** One thread's share of a run, with its own held slots and counters. */
  final class Worker {
    final Fleet fleet;
    final SplittableRandom random;
    final boolean locked;
    final long bytesPerSlot = config.bytesPerSlot();
    final CostModel costs = config.costs();

    long steps;
    long allocs;
    long hits;
    long cold;
    long evictions;
    long failures;
    long retries;
    double warmSum;
    double residentSum;
    long peakWarm;
    long peakResident;
    double cost;
    double inFlightArea;
    double measuredTime;
    long peakInFlight;

    Worker(Fleet fleet, SplittableRandom random, boolean locked) {
      this.fleet = fleet;
      this.random = random;
      this.locked = locked;
    }

    /** The seed's step model: free a random held slot or allocate, retrying a failure. */
    void seed(StepModel.Seed model, long count, AtomicLong progress) {
      final Workload workload = config.workload();
      final double freeProbability = model.freeProbability();
      final SplittableRandom random = this.random;
      final int[] held = new int[fleet.slots];
      int heldCount = 0;
      long i = 0;
      while (i < count) {
        if (heldCount > 0 && random.nextDouble() < freeProbability) {
          int index = random.nextInt(heldCount);
          int slot = held[index];
          held[index] = held[--heldCount];
          release(slot, bytesPerSlot);
        } else {
          int slot = acquire(workload.nextKey(random, i, count));
          if (slot != Policy.NO_SLOT) {
            held[heldCount++] = slot;
          } else if (heldCount > 0) {
            retries++; // the seed retries: draw again, this was no step
            continue;
          } else {
            failures++; // other threads hold every slot: nothing of ours to free
          }
        }
        sample();
        i++;
        if ((i & (PROGRESS_EVERY - 1)) == 0) {
          progress.addAndGet(PROGRESS_EVERY);
        }
      }
      progress.addAndGet(count % PROGRESS_EVERY);
    }

    /** The steady-state model: arrivals and departures in time order. */
    void steady(StepModel.Steady model, long count, AtomicLong progress) {
      final Workload workload = config.workload();
      final SplittableRandom random = this.random;
      final ServiceTime service = model.service();
      final boolean poisson = model.arrivals() == StepModel.Arrivals.POISSON;
      final double rate = model.concurrency();
      final long warmup = model.warmup();
      final long total = warmup + count;
      int clients = poisson ? 0 : (int) Math.round(model.concurrency());
      EventHeap heap = new EventHeap(Math.max(clients, fleet.slots * fleet.hosts.length) + 1);
      for (int c = 0; c < clients; c++) {
        heap.push(0, ARRIVAL);
      }
      if (model.prewarm()) {
        prewarm(workload, total);
      }
      double now = 0;
      double start = 0;
      double nextArrival = poisson ? exponential(random) / rate : Double.POSITIVE_INFINITY;
      for (long i = 0; i < total; i++) {
        if (i == warmup) {
          startMeasuring();
          start = now;
        }
        double at;
        int id;
        if (heap.size() > 0 && heap.minTime() <= nextArrival) {
          at = heap.minTime();
          id = heap.minId();
          heap.pop();
        } else {
          at = nextArrival;
          id = ARRIVAL;
          nextArrival += exponential(random) / rate;
        }
        if (i >= warmup) {
          inFlightArea += fleet.totalInFlight * (at - now);
        }
        now = at;
        if (id >= 0) {
          release(id, bytesPerSlot);
          if (!poisson) {
            heap.push(now, ARRIVAL);
          }
        } else {
          int slot = acquire(workload.nextKey(random, i, total));
          if (slot != Policy.NO_SLOT) {
            heap.push(now + service.draw(random), slot);
          } else {
            failures++;
            if (!poisson) {
              heap.push(now + service.draw(random), ARRIVAL); // the client tries again later
            }
          }
        }
        sample();
        if ((i & (PROGRESS_EVERY - 1)) == PROGRESS_EVERY - 1) {
          progress.addAndGet(PROGRESS_EVERY);
        }
      }
      measuredTime = now - start;
      progress.addAndGet(total % PROGRESS_EVERY);
    }

    /** Uses every slot of every pool once, for drawn keys, and frees them in random order. */
    private void prewarm(Workload workload, long total) {
      int[] all = new int[fleet.slots * fleet.hosts.length];
      int n = 0;
      for (int h = 0; h < fleet.hosts.length; h++) {
        Host host = fleet.hosts[h];
        for (int s = 0; s < fleet.slots; s++) {
          int key = workload.nextKey(random, 0, total);
          int slot = host.policy.alloc(key);
          if (slot == Policy.NO_SLOT) {
            break;
          }
          taken(h, host, slot, Host.COLD);
          host.lastKey[slot] = key;
          all[n++] = fleet.hosts.length == 1 ? slot : h * fleet.slots + slot;
        }
      }
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = all[i];
        all[i] = all[j];
        all[j] = t;
      }
      for (int i = 0; i < n; i++) {
        release(all[i], bytesPerSlot);
      }
    }

    void replay(Trace trace, AtomicLong progress) {
      int[] slotOfAlloc = new int[trace.allocs()];
      int allocIndex = 0;
      int events = trace.events();
      for (int i = 0; i < events; i++) {
        if (trace.isAlloc(i)) {
          int slot = acquire(trace.key(i));
          if (slot == Policy.NO_SLOT) {
            failures++;
          }
          slotOfAlloc[allocIndex++] = slot;
        } else {
          int slot = slotOfAlloc[trace.freedAlloc(i)];
          if (slot != Policy.NO_SLOT) {
            long bytes = trace.freedBytes(i);
            release(slot, bytes < 0 ? bytesPerSlot : bytes);
          }
        }
        sample();
        if ((i & (PROGRESS_EVERY - 1)) == PROGRESS_EVERY - 1) {
          progress.addAndGet(PROGRESS_EVERY);
        }
      }
      progress.addAndGet(events % PROGRESS_EVERY);
    }

    private static double exponential(SplittableRandom random) {
      return -Math.log(1 - random.nextDouble());
    }

    private void startMeasuring() {
      steps = allocs = hits = cold = evictions = failures = retries = 0;
      warmSum = residentSum = cost = inFlightArea = 0;
      peakWarm = fleet.warm;
      peakResident = fleet.resident;
      peakInFlight = fleet.totalInFlight;
      for (Host host : fleet.hosts) {
        host.resetCounters();
      }
    }

    /** Allocates for {@code key}; returns host * slots + slot, or NO_SLOT (not counted). */
    private int acquire(int key) {
      Fleet fleet = this.fleet;
      int h =
          fleet.router == null
              ? 0
              : fleet.router.route(key, random, fleet.inFlight, fleet.totalInFlight);
      Host host = fleet.hosts[h];
      int slot = host.policy.alloc(key);
      if (slot == Policy.NO_SLOT) {
        return slot;
      }
      allocs++;
      int last = host.lastKey[slot];
      long wasResident = 0;
      if (locked) {
        synchronized (host) {
          wasResident = taken(h, host, slot, last);
        }
      } else {
        wasResident = taken(h, host, slot, last);
      }
      long working = bytesPerSlot;
      if (last == Host.COLD) {
        cold++;
        cost += costs.coldCost(working);
      } else if (last == key) {
        hits++;
        cost += costs.hitCost(working, wasResident);
      } else {
        evictions++;
        cost += costs.evictionCost(working);
      }
      host.lastKey[slot] = key;
      return fleet.hosts.length == 1 ? slot : h * fleet.slots + slot;
    }

    private long taken(int h, Host host, int slot, int last) {
      host.routed++;
      int in = ++host.inFlight;
      fleet.inFlight[h] = in;
      if (in > host.peakInFlight) {
        host.peakInFlight = in;
      }
      if (++fleet.totalInFlight > peakInFlight) {
        peakInFlight = fleet.totalInFlight;
      }
      if (last == Host.COLD) {
        return 0;
      }
      long was = host.memory.take(slot);
      fleet.warm--;
      fleet.resident -= was;
      return was;
    }

    private void release(int id, long written) {
      int h = fleet.hosts.length == 1 ? 0 : id / fleet.slots;
      int slot = fleet.hosts.length == 1 ? id : id - h * fleet.slots;
      Host host = fleet.hosts[h];
      long kept;
      if (locked) {
        synchronized (host) {
          kept = freed(h, host, slot, written);
        }
      } else {
        kept = freed(h, host, slot, written);
      }
      host.policy.free(slot, kept);
    }

    private long freed(int h, Host host, int slot, long written) {
      long before = host.memory.bytes;
      long kept = host.memory.free(slot, written);
      fleet.resident += host.memory.bytes - before;
      fleet.warm++;
      fleet.inFlight[h] = --host.inFlight;
      fleet.totalInFlight--;
      return kept;
    }

    private void sample() {
      steps++;
      long warm;
      long resident;
      if (locked) {
        synchronized (fleet.hosts[0]) {
          warm = fleet.warm;
          resident = fleet.resident;
        }
      } else {
        warm = fleet.warm;
        resident = fleet.resident;
      }
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
