package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * More threads than slots allocate (waiting for a slot), check that their lease starts pristine,
 * write, and release, with single and batched decommits. Any lost reset, double hand-out or lost
 * wake-up shows up as dirty memory, a slot held twice, or a timeout.
 */
class ConcurrencyTest {
  private static final int THREADS = 6;
  private static final int ROUNDS = 300;

  /** keepResident -1: the default adaptive mode, with a budget that binds all the time. */
  @ParameterizedTest(name = "batch={0}, pagemapScan={1}, keepResident={2}")
  @CsvSource({
    "1, true, 8192",
    "3, true, 8192",
    "1, false, 8192",
    "3, false, 8192",
    "1, true, -1",
    "2, false, -1"
  })
  void manyThreads_fewSlots_everyLeaseIsPristineAndExclusive(int batch, boolean scan, long keep)
      throws Exception {
    byte[] bytes = Contents.image((int) (2 * PAGE + 1), 5);
    MemoryPool.Builder builder =
        MemoryPool.builder()
            .slots(3)
            .maxMemoryBytes(8 * PAGE)
            .decommitBatchSize(batch)
            .usePagemapScan(scan);
    if (keep >= 0) {
      builder.keepResidentBytes(keep);
    } else {
      builder.residentBudgetBytes(10 * PAGE);
    }
    try (MemoryPool pool = builder.build();
        MemoryImage image = MemoryImage.of(bytes);
        ExecutorService executor = Executors.newFixedThreadPool(THREADS)) {
      int[] owner = new int[pool.slots()];
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int id = t + 1;
        futures.add(
            executor.submit(
                () -> {
                  SplittableRandom random = new SplittableRandom(id);
                  for (int round = 0; round < ROUNDS; round++) {
                    boolean withImage = random.nextBoolean();
                    try (PooledMemory memory =
                        pool.allocate(
                            random.nextInt(4),
                            withImage ? image : null,
                            4 * PAGE,
                            Duration.ofSeconds(30))) {
                      synchronized (owner) {
                        assertThat(owner[memory.slot()]).as("slot held twice").isZero();
                        owner[memory.slot()] = id;
                      }
                      MemorySegment segment = memory.segment();
                      Contents.assertPristine(
                          segment, withImage ? bytes : null, "thread " + id + " round " + round);
                      segment.asSlice(random.nextLong(3 * PAGE), PAGE).fill((byte) id);
                      memory.grow(8 * PAGE).set(ValueLayout.JAVA_BYTE, 7 * PAGE, (byte) id);
                      synchronized (owner) {
                        owner[memory.slot()] = 0;
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> future : futures) {
        future.get();
      }
      pool.flushDecommits();
      PoolStats stats = pool.stats();
      assertThat(stats.inUse()).isZero();
      assertThat(stats.affinityHits() + stats.coldAllocations() + stats.evictions())
          .isEqualTo(THREADS * ROUNDS);
      assertThat(stats.residentBytes()).isLessThanOrEqualTo(stats.residentBudgetBytes());
      assertThat(pool.measureResidentBytes()).isEqualTo(stats.residentBytes());
      if (keep < 0) {
        assertThat(stats.budgetDecommits()).as("the budget bound").isPositive();
      }
    }
  }
}
