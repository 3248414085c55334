package dev.slotpool.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Several threads allocate and free at random, with random keys, on one allocator. An owner table
 * outside the allocator proves that no slot is ever handed to two holders at once; at the end, once
 * every thread has freed what it holds, every slot is accounted for (warm if it was ever used, cold
 * otherwise), the statistics add up to what the threads counted, and the resident bytes are exactly
 * those of each slot's last free.
 *
 * <p>Runs the sharded allocator in shapes that force evictions across stripes and failures, and the
 * exact allocator as a control.
 */
class AllocatorSoakTest {
  private static final int THREADS = 4;
  private static final int OPS_PER_THREAD = 150_000;

  static Stream<Arguments> allocators() {
    return Stream.of(
        Arguments.of(
            "sharded, 64 slots, threshold 16, 4 stripes",
            64,
            (Supplier<AffinityAllocator<Integer>>)
                () -> new ShardedAffinityIndexAllocator<>(64, 16, 4)),
        Arguments.of(
            "sharded, 8 slots, threshold 0, 3 stripes",
            8,
            (Supplier<AffinityAllocator<Integer>>)
                () -> new ShardedAffinityIndexAllocator<>(8, 0, 3)),
        Arguments.of(
            "sharded, 256 slots, threshold 300, default stripes",
            256,
            (Supplier<AffinityAllocator<Integer>>)
                () -> new ShardedAffinityIndexAllocator<>(256, 300)),
        Arguments.of(
            "exact, 64 slots, threshold 16",
            64,
            (Supplier<AffinityAllocator<Integer>>) () -> new AffinityIndexAllocator<>(64, 16)));
  }

  /** What one thread did, to compare with the allocator's counters. */
  record Tally(long allocs, long keyedAllocs, long failures) {}

  @ParameterizedTest(name = "{0}")
  @MethodSource("allocators")
  void randomAllocFree_manyThreads_neverSharesASlotAndLosesNone(
      String name, int capacity, Supplier<AffinityAllocator<Integer>> factory) throws Exception {
    AffinityAllocator<Integer> allocator = factory.get();
    AtomicIntegerArray owner = new AtomicIntegerArray(capacity);
    AtomicLongArray lastBytes = new AtomicLongArray(capacity);
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Future<Tally>> tallies = new ArrayList<>();
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(THREADS)) {
      for (int t = 0; t < THREADS; t++) {
        int id = t + 1;
        tallies.add(
            pool.submit(() -> run(allocator, owner, lastBytes, id, capacity, start, 1000L * id)));
      }
    }
    long allocs = 0;
    long keyed = 0;
    long failures = 0;
    for (Future<Tally> f : tallies) {
      Tally tally = f.get();
      allocs += tally.allocs();
      keyed += tally.keyedAllocs();
      failures += tally.failures();
    }

    AllocatorStats s = allocator.stats();
    assertThat(s.inUse()).as(name).isZero();
    assertThat(allocator.isEmpty()).as(name).isTrue();
    assertThat(s.unusedWarmSlots()).as(name).isEqualTo(s.coldAllocations());
    assertThat(s.unusedWarmSlots() + s.coldSlots()).as(name).isEqualTo(capacity);
    assertThat(s.affinityHits() + s.coldAllocations() + s.warmEvictions())
        .as(name)
        .isEqualTo(allocs);
    assertThat(s.affinityHits() + s.affinityMisses()).as(name).isEqualTo(keyed);
    assertThat(s.failedAllocations()).as(name).isEqualTo(failures);
    long bytes = 0;
    for (int slot = 0; slot < s.coldAllocations(); slot++) {
      bytes += lastBytes.get(slot);
    }
    assertThat(s.unusedBytesResident()).as(name).isEqualTo(bytes);
    assertThat(allocator.unusedBytesResident()).as(name).isEqualTo(bytes);
    if (allocator instanceof ShardedAffinityIndexAllocator<?> sharded) {
      sharded.checkInvariants();
      assertThat(s.warmEvictions()).as("%s: the shape must evict", name).isPositive();
    } else {
      ((AffinityIndexAllocator<?>) allocator).checkInvariants();
    }
    // Every slot can be taken once more, and only once.
    for (int i = 0; i < capacity; i++) {
      assertThat(allocator.alloc(null)).as(name).isNotNegative();
    }
    assertThat(allocator.alloc(null)).as(name).isEqualTo(AffinityAllocator.NO_SLOT);
  }

  private static Tally run(
      AffinityAllocator<Integer> allocator,
      AtomicIntegerArray owner,
      AtomicLongArray lastBytes,
      int id,
      int capacity,
      CyclicBarrier start,
      long seed)
      throws Exception {
    SplittableRandom rnd = new SplittableRandom(seed);
    int maxHeld = Math.max(1, capacity / 3);
    int[] held = new int[capacity];
    int count = 0;
    long allocs = 0;
    long keyed = 0;
    long failures = 0;
    start.await();
    for (int i = 0; i < OPS_PER_THREAD; i++) {
      if (count > 0 && (count == maxHeld || rnd.nextBoolean())) {
        int pick = rnd.nextInt(count);
        int slot = held[pick];
        held[pick] = held[--count];
        release(allocator, owner, lastBytes, id, slot, rnd.nextLong(1 << 16));
        continue;
      }
      int slot;
      int dice = rnd.nextInt(20);
      if (dice == 0) {
        slot = allocator.allocAffineAndClearAffinity(rnd.nextInt(40));
      } else {
        Integer key = dice == 1 ? null : rnd.nextInt(40);
        slot = allocator.alloc(key);
        allocs++;
        keyed += key == null ? 0 : 1;
        if (slot < 0) {
          allocs--;
          failures++;
        }
      }
      if (slot >= 0) {
        int previous = owner.getAndSet(slot, id);
        assertThat(previous)
            .as("slot %d handed to %d while %d holds it", slot, id, previous)
            .isZero();
        held[count++] = slot;
      }
    }
    while (count > 0) {
      release(allocator, owner, lastBytes, id, held[--count], rnd.nextLong(1 << 16));
    }
    return new Tally(allocs, keyed, failures);
  }

  private static void release(
      AffinityAllocator<Integer> allocator,
      AtomicIntegerArray owner,
      AtomicLongArray lastBytes,
      int id,
      int slot,
      long bytes) {
    assertThat(owner.compareAndSet(slot, id, 0)).as("slot %d lost by %d", slot, id).isTrue();
    lastBytes.set(slot, bytes);
    allocator.free(slot, bytes);
  }
}
