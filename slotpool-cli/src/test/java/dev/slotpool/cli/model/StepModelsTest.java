package dev.slotpool.cli.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The step models against plain reference models, and the memory model's budget. */
class StepModelsTest {
  private static final long MIB = 1 << 20;

  /** The seed's allocator (ModuleAffinityIndexAllocator) written plainly. */
  static final class ReferenceAllocator {
    final int slots;
    final int maxWarm;
    final LinkedHashSet<Integer> warm = new LinkedHashSet<>(); // least recently freed first
    final Map<Integer, ArrayDeque<Integer>> affine = new HashMap<>(); // most recent last
    final int[] key;
    int nextCold;

    ReferenceAllocator(int slots, int maxWarm) {
      this.slots = slots;
      this.maxWarm = maxWarm;
      this.key = new int[slots];
    }

    int alloc(int k) {
      ArrayDeque<Integer> mine = affine.get(k);
      int s;
      if (mine != null && !mine.isEmpty()) {
        s = mine.pollLast();
        warm.remove(s);
      } else if (warm.size() < maxWarm) {
        s = nextCold < slots ? nextCold++ : evict();
      } else {
        s = !warm.isEmpty() ? evict() : nextCold < slots ? nextCold++ : -1;
      }
      if (s >= 0) {
        key[s] = k;
      }
      return s;
    }

    private int evict() {
      if (warm.isEmpty()) {
        return -1;
      }
      Iterator<Integer> it = warm.iterator();
      int s = it.next();
      it.remove();
      affine.get(key[s]).remove(s);
      return s;
    }

    void free(int s) {
      warm.add(s);
      affine.computeIfAbsent(key[s], k -> new ArrayDeque<>()).addLast(s);
    }
  }

  /** The seed's random test, step for step, with the simulator's generator and draw order. */
  private static long[] seedTest(int keys, int slots, int maxWarm, long steps, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    ReferenceAllocator allocator = new ReferenceAllocator(slots, maxWarm);
    int[] held = new int[slots];
    int heldCount = 0;
    int[] lastKey = new int[slots];
    java.util.Arrays.fill(lastKey, -1);
    long hits = 0;
    long allocs = 0;
    for (long i = 0; i < steps; ) {
      if (heldCount > 0 && random.nextDouble() < 0.5) {
        int index = random.nextInt(heldCount);
        int s = held[index];
        held[index] = held[--heldCount];
        allocator.free(s);
      } else {
        int k = random.nextInt(keys);
        int s = allocator.alloc(k);
        if (s < 0) {
          continue; // retried, as the seed does
        }
        allocs++;
        if (lastKey[s] == k) {
          hits++;
        }
        lastKey[s] = k;
        held[heldCount++] = s;
      }
      i++;
    }
    return new long[] {hits, allocs};
  }

  @ParameterizedTest(name = "{0} keys, {1} slots, max-warm {2}")
  @CsvSource({"10, 64, 64", "20, 50, 5", "30, 40, 0"})
  void seedModel_isTheSeedsRandomTestStepForStep(int keys, int slots, int maxWarm) {
    long steps = 200_000;
    Workload uniform = Workloads.generated("uniform", keys, 1, 0.2, 0.8, 1, 3);
    Simulator simulator =
        new Simulator(
            Simulator.Config.generated(uniform, new StepModel.Seed(0.5), slots, steps, 3)
                .withBytesPerSlot(MIB));

    SimResult r =
        simulator.run(Policy.Kind.AFFINITY, maxWarm, MemoryModel.fixed(0), new AtomicLong());

    long[] reference = seedTest(keys, slots, maxWarm, steps, 3);
    assertThat(r.hits()).isEqualTo(reference[0]);
    assertThat(r.allocs()).isEqualTo(reference[1]);
    assertThat(r.failures()).isZero(); // failed allocations are retried, not counted as steps
    assertThat(r.retries()).isPositive(); // the pool did fill up
  }

  private static Simulator steady(StepModel.Arrivals arrivals, int slots, double load, long ops) {
    Workload zipf = Workloads.generated("zipf", 200, 1, 0.2, 0.8, 1, 5);
    return new Simulator(
        Simulator.Config.generated(
                zipf,
                new StepModel.Steady(arrivals, load, ServiceTime.EXP, ops / 10),
                slots,
                ops,
                5)
            .withBytesPerSlot(MIB));
  }

  @Test
  void steadyPoisson_keepsTheOfferedLoadInFlight() {
    SimResult r =
        steady(StepModel.Arrivals.POISSON, 1000, 300, 400_000)
            .run(Policy.Kind.AFFINITY, 16, MemoryModel.adaptive(64 * MIB), new AtomicLong());

    assertThat(r.meanInFlight()).isBetween(290.0, 310.0);
    assertThat(r.failures()).isZero();
    assertThat(r.ops()).isEqualTo(400_000); // the warm-up is not counted
    assertThat(r.hits() + r.coldAllocs() + r.evictions()).isEqualTo(r.allocs());
  }

  @Test
  void steadyFixed_holdsExactlyTheConcurrency() {
    SimResult r =
        steady(StepModel.Arrivals.FIXED, 100, 40, 100_000)
            .run(Policy.Kind.AFFINITY, 8, MemoryModel.fixed(0), new AtomicLong());

    assertThat(r.peakInFlight()).isEqualTo(40);
    assertThat(r.meanInFlight()).isBetween(39.0, 40.001);
    assertThat(r.failures()).isZero();
  }

  @Test
  void steadyModel_doesNotDriftWithTheRunsLength() {
    Simulator shortRun = steady(StepModel.Arrivals.POISSON, 200, 140, 200_000);
    Simulator longRun = steady(StepModel.Arrivals.POISSON, 200, 140, 2_000_000);
    for (int maxWarm : new int[] {0, 8, 64, 200}) {
      double a =
          shortRun
              .run(Policy.Kind.AFFINITY, maxWarm, MemoryModel.fixed(0), new AtomicLong())
              .hitRate();
      double b =
          longRun
              .run(Policy.Kind.AFFINITY, maxWarm, MemoryModel.fixed(0), new AtomicLong())
              .hitRate();
      assertThat(Math.abs(a - b)).as("max-warm %d: %f vs %f", maxWarm, a, b).isLessThan(0.01);
    }
  }

  @Test
  void adaptiveReset_staysWithinTheBudgetAndDecommitsTheColdestFirst() {
    Residency memory = new Residency(8, MemoryModel.adaptive(3 * MIB));
    memory.free(0, MIB);
    memory.free(1, MIB);
    memory.free(2, MIB);
    assertThat(memory.bytes).isEqualTo(3 * MIB);
    assertThat(memory.decommits).isZero();

    memory.free(3, MIB); // over budget: slot 0, freed first, loses its pages

    assertThat(memory.bytes).isEqualTo(3 * MIB);
    assertThat(memory.decommits).isEqualTo(1);
    assertThat(memory.take(0)).isZero();
    assertThat(memory.take(1)).isEqualTo(MIB);
    assertThat(memory.warm).isEqualTo(2);
    assertThat(memory.peakBytes).isEqualTo(3 * MIB);
  }

  @Test
  void fixedReset_keepsAtMostKeepResidentPerSlot() {
    Residency memory = new Residency(4, MemoryModel.fixed(64 * 1024));
    memory.free(0, MIB);
    memory.free(1, 4096);
    assertThat(memory.bytes).isEqualTo(64 * 1024 + 4096);
    assertThat(memory.take(0)).isEqualTo(64 * 1024);
  }

  @Test
  void adaptiveRun_neverExceedsTheBudget() {
    SimResult r =
        steady(StepModel.Arrivals.POISSON, 500, 300, 200_000)
            .run(Policy.Kind.AFFINITY, 500, MemoryModel.adaptive(10 * MIB), new AtomicLong());
    assertThat(r.peakResidentBytes()).isLessThanOrEqualTo(10 * MIB);
    assertThat(r.decommits()).isPositive();
  }
}
