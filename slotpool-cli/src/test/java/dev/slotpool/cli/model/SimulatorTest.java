package dev.slotpool.cli.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.index.AllocatorStats;
import dev.slotpool.index.ShardedAffinityIndexAllocator;
import dev.slotpool.index.SimpleIndexAllocator;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class SimulatorTest {
  private static final long MIB = 1 << 20;

  private static Simulator.Config config(String workload, int slots, long ops, int threads) {
    Workload w = Workloads.generated(workload, 200, 1.0, 0.2, 0.8, 4, 1);
    return Simulator.Config.generated(w, new StepModel.Seed(0.5), slots, ops, 1)
        .withThreads(threads)
        .withBytesPerSlot(MIB);
  }

  @Test
  void libraryPolicies_areTheLibraryClasses() {
    assertThat(Policy.Kind.AFFINITY.create(8, 2, 10, 1).target())
        .isInstanceOf(AffinityIndexAllocator.class);
    assertThat(
            ((AffinityIndexAllocator<?>) Policy.Kind.AFFINITY.create(8, 2, 10, 1).target())
                .maxUnusedWarmSlots())
        .isEqualTo(2);
    assertThat(Policy.Kind.SHARDED.create(8, 2, 10, 1).target())
        .isInstanceOf(ShardedAffinityIndexAllocator.class);
    assertThat(Policy.Kind.SIMPLE.create(8, 2, 10, 1).target())
        .isInstanceOf(SimpleIndexAllocator.class);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3, 16, 64})
  void affinityCounts_matchTheAllocatorsOwnStatistics(int maxWarm) {
    Simulator simulator = new Simulator(config("zipf", 64, 50_000, 1));
    Policy policy = Policy.Kind.AFFINITY.create(64, maxWarm, 200, 1);

    SimResult r =
        simulator.run(
            Policy.Kind.AFFINITY,
            new Policy[] {policy},
            maxWarm,
            MemoryModel.fixed(4096),
            new AtomicLong());

    AllocatorStats stats = ((AffinityIndexAllocator<?>) policy.target()).stats();
    assertThat(r.hits()).isEqualTo(stats.affinityHits());
    assertThat(r.coldAllocs()).isEqualTo(stats.coldAllocations());
    assertThat(r.evictions()).isEqualTo(stats.warmEvictions());
    assertThat(r.failures() + r.retries()).isEqualTo(stats.failedAllocations());
    assertThat(r.hits()).isPositive();
    assertThat(r.peakUnusedWarm()).isLessThanOrEqualTo(64);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void shardedCounts_matchTheAllocatorsOwnStatistics(int threads) {
    Simulator simulator = new Simulator(config("zipf", 64, 40_000, threads));
    Policy policy = Policy.Kind.SHARDED.create(64, 16, 200, 1);

    SimResult r =
        simulator.run(
            Policy.Kind.SHARDED,
            new Policy[] {policy},
            16,
            MemoryModel.fixed(4096),
            new AtomicLong());

    AllocatorStats stats = ((ShardedAffinityIndexAllocator<?>) policy.target()).stats();
    assertThat(r.coldAllocs()).isEqualTo(stats.coldAllocations());
    assertThat(r.failures() + r.retries()).isEqualTo(stats.failedAllocations());
    assertThat(r.hits() + r.evictions()).isEqualTo(stats.affinityHits() + stats.warmEvictions());
    if (threads == 1) {
      assertThat(r.hits()).isEqualTo(stats.affinityHits());
    } else {
      // Racing a free of its own key's slot, a miss may evict exactly that slot: the allocator
      // counts an eviction, the simulator (which looks at the slot's last key) a hit.
      assertThat(r.hits()).isGreaterThanOrEqualTo(stats.affinityHits());
    }
  }

  @Test
  void simpleCounts_matchTheAllocatorsOwnStatistics() {
    Simulator simulator = new Simulator(config("uniform", 32, 20_000, 1));
    Policy policy = Policy.Kind.SIMPLE.create(32, 0, 200, 1);

    SimResult r =
        simulator.run(
            Policy.Kind.SIMPLE, new Policy[] {policy}, 0, MemoryModel.fixed(0), new AtomicLong());

    AllocatorStats stats = ((SimpleIndexAllocator) policy.target()).stats();
    assertThat(r.coldAllocs()).isEqualTo(stats.coldAllocations());
    assertThat(r.failures() + r.retries()).isEqualTo(stats.failedAllocations());
    // Without keys the library counts every reuse as an eviction; the simulator sees the ones
    // that happened to go to the same key as hits.
    assertThat(r.hits() + r.evictions()).isEqualTo(stats.warmEvictions());
  }

  @ParameterizedTest
  @EnumSource(Policy.Kind.class)
  void everyAllocation_isAHitAColdSlotOrAnEviction(Policy.Kind kind) {
    AtomicLong progress = new AtomicLong();
    SimResult r =
        new Simulator(config("hotspot", 50, 30_000, 1))
            .run(kind, 8, MemoryModel.fixed(MIB), progress);

    assertThat(r.hits() + r.coldAllocs() + r.evictions()).isEqualTo(r.allocs());
    assertThat(r.coldAllocs()).isLessThanOrEqualTo(50);
    assertThat(r.ops()).isEqualTo(30_000);
    assertThat(progress.get()).isEqualTo(30_000);
    assertThat(r.peakResidentBytes()).isEqualTo(r.peakUnusedWarm() * MIB);
    assertThat(r.meanUnusedWarm()).isBetween(0.0, (double) r.peakUnusedWarm());
  }

  @Test
  void affinityHitRate_atLeastRandomsOnZipf() {
    Simulator simulator = new Simulator(config("zipf", 100, 100_000, 1));
    double affinity =
        simulator.run(Policy.Kind.AFFINITY, 10, MemoryModel.fixed(0), new AtomicLong()).hitRate();
    double random =
        simulator.run(Policy.Kind.RANDOM, 10, MemoryModel.fixed(0), new AtomicLong()).hitRate();
    assertThat(affinity).isGreaterThanOrEqualTo(random);
  }

  @Test
  void largerThreshold_keepsMoreWarmSlotsAndHitsMore_whenThePoolIsLarge() {
    // 1000 slots, few held at once: the threshold decides between a cold slot and an eviction.
    Workload w = Workloads.generated("zipf", 300, 1.0, 0.2, 0.8, 4, 1);
    Simulator simulator =
        new Simulator(
            Simulator.Config.generated(w, new StepModel.Seed(0.55), 1000, 100_000, 1)
                .withBytesPerSlot(MIB));
    SimResult none =
        simulator.run(Policy.Kind.AFFINITY, 0, MemoryModel.fixed(MIB), new AtomicLong());
    SimResult many =
        simulator.run(Policy.Kind.AFFINITY, 256, MemoryModel.fixed(MIB), new AtomicLong());

    assertThat(many.hitRate()).isGreaterThan(none.hitRate());
    assertThat(many.peakResidentBytes()).isGreaterThan(none.peakResidentBytes());
    assertThat(many.meanCostMicros()).isLessThan(none.meanCostMicros());
  }

  @ParameterizedTest
  @EnumSource(Policy.Kind.class)
  void stepLoop_allocatesNothingPerStep(Policy.Kind kind) {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().threadId();
    for (String workload : new String[] {"uniform", "zipf", "hotspot", "phased"}) {
      Simulator shortRun = new Simulator(config(workload, 64, 10_000, 1));
      Simulator longRun = new Simulator(config(workload, 64, 1_000_000, 1));
      shortRun.run(
          kind, 8, MemoryModel.fixed(100), new AtomicLong()); // warm up the code paths once

      long before = threads.getThreadAllocatedBytes(id);
      shortRun.run(kind, 8, MemoryModel.fixed(100), new AtomicLong());
      long shortBytes = threads.getThreadAllocatedBytes(id) - before;
      before = threads.getThreadAllocatedBytes(id);
      longRun.run(kind, 8, MemoryModel.fixed(100), new AtomicLong());
      long longBytes = threads.getThreadAllocatedBytes(id) - before;

      // 990,000 more steps: even one byte per step would show as ~1 MB.
      assertThat(longBytes - shortBytes).as(workload).isLessThan(64 * 1024);
    }
  }

  @Test
  void keepResidentZero_keepsNothingResident() {
    SimResult r =
        new Simulator(config("zipf", 20, 10_000, 1))
            .run(Policy.Kind.AFFINITY, 5, MemoryModel.fixed(0), new AtomicLong());
    assertThat(r.peakResidentBytes()).isZero();
    assertThat(r.meanResidentBytes()).isZero();
  }

  @Test
  void sameConfig_sameResult() {
    Simulator simulator = new Simulator(config("phased", 40, 20_000, 1));
    for (Policy.Kind kind : Policy.Kind.values()) {
      assertThat(simulator.run(kind, 4, MemoryModel.fixed(100), new AtomicLong()))
          .isEqualTo(simulator.run(kind, 4, MemoryModel.fixed(100), new AtomicLong()));
    }
  }

  @ParameterizedTest
  @EnumSource(Policy.Kind.class)
  void threads_shareOnePoolConsistently(Policy.Kind kind) {
    SimResult r =
        new Simulator(config("zipf", 32, 40_000, 4))
            .run(kind, 8, MemoryModel.fixed(10), new AtomicLong());

    assertThat(r.ops()).isEqualTo(40_000);
    assertThat(r.hits() + r.coldAllocs() + r.evictions()).isEqualTo(r.allocs());
    assertThat(r.coldAllocs()).isLessThanOrEqualTo(32);
    assertThat(r.allocs()).isPositive();
  }
}
