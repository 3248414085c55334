package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slotpool.memory.internal.Smaps;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pool-wide resident budget: it holds (smaps agrees with the stats) under many keys, sizes and
 * growth; when it binds the coldest warm slots give up their pages first, then the releasing slot
 * keeps only what fits; and nothing it drops is ever visible as stale bytes.
 */
class ResidentBudgetPoolTest {
  private static final long MAX = 32 * PAGE;

  /** The resident bytes of a lease's accessible range, from smaps. */
  private static long rss(PooledMemory memory) {
    MemorySegment segment = memory.segment();
    return Smaps.residentBytes(segment.address(), segment.address() + segment.byteSize());
  }

  @ParameterizedTest(name = "pagemapScan={0}")
  @CsvSource({"true", "false"})
  void budgetBinds_coldestWarmSlotIsDecommittedFirst(boolean scan) {
    try (MemoryPool pool =
        MemoryPool.builder()
            .slots(4)
            .maxMemoryBytes(MAX)
            .guardBytes(PAGE)
            .usePagemapScan(scan)
            .residentBudgetBytes(16 * PAGE)
            .build()) {
      PooledMemory a = pool.allocate("a", null, 8 * PAGE);
      PooledMemory b = pool.allocate("b", null, 8 * PAGE);
      PooledMemory c = pool.allocate("c", null, 8 * PAGE);
      a.segment().fill((byte) 1);
      b.segment().fill((byte) 2);
      c.segment().fill((byte) 3);
      b.close(); // b is now the coldest, a the next
      a.close();
      assertThat(pool.stats().budgetDecommits()).isZero();
      assertThat(pool.stats().residentBytes()).isEqualTo(16 * PAGE);
      c.close(); // 24 pages would exceed 16: b goes
      PoolStats stats = pool.stats();
      assertThat(stats.budgetDecommits()).isEqualTo(1);
      assertThat(stats.budgetDecommitBytes()).isEqualTo(8 * PAGE);
      assertThat(stats.residentBytes()).isEqualTo(16 * PAGE);
      assertThat(pool.measureResidentBytes()).isEqualTo(16 * PAGE);
      assertThat(stats.unusedWarmSlots()).as("b stays warm").isEqualTo(3);

      try (PooledMemory b2 = pool.allocate("b", null, 8 * PAGE);
          PooledMemory a2 = pool.allocate("a", null, 8 * PAGE);
          PooledMemory c2 = pool.allocate("c", null, 8 * PAGE)) {
        assertThat(b2.reused()).as("b kept its affinity").isTrue();
        assertThat(rss(b2)).as("the coldest slot, b, was decommitted").isZero();
        assertThat(rss(a2)).isEqualTo(8 * PAGE);
        assertThat(rss(c2)).isEqualTo(8 * PAGE);
        Contents.assertPristine(b2.segment(), null, "b after its decommit");
        Contents.assertPristine(a2.segment(), null, "a");
        Contents.assertPristine(c2.segment(), null, "c");
        assertThat(pool.stats().residentBytes()).as("leases in use do not count").isZero();
      }
    }
  }

  @ParameterizedTest(name = "pagemapScan={0}")
  @CsvSource({"true", "false"})
  void releasingSlotLargerThanTheBudget_keepsOnlyWhatFits(boolean scan) {
    try (MemoryPool pool =
            MemoryPool.builder()
                .slots(2)
                .maxMemoryBytes(MAX)
                .guardBytes(PAGE)
                .usePagemapScan(scan)
                .residentBudgetBytes(5 * PAGE + 123) // rounded down to whole pages when it binds
                .build();
        MemoryImage image = MemoryImage.of(Contents.image((int) (2 * PAGE), 9))) {
      try (PooledMemory memory = pool.allocate("k", image, 4 * PAGE)) {
        memory.grow(12 * PAGE).fill((byte) 7);
      }
      PoolStats stats = pool.stats();
      assertThat(stats.residentBytes()).isEqualTo(5 * PAGE);
      assertThat(pool.measureResidentBytes()).isEqualTo(5 * PAGE);
      assertThat(stats.decommits()).isEqualTo(1);
      assertThat(stats.decommitBytes()).isEqualTo(7 * PAGE);
      try (PooledMemory memory = pool.allocate("k", image, 4 * PAGE)) {
        Contents.assertPristine(memory.grow(12 * PAGE), Contents.image((int) (2 * PAGE), 9), "k");
      }
    }
  }

  @Test
  void zeroBudget_keepsNothingResident_andStillResetsCorrectly() {
    try (MemoryPool pool =
        MemoryPool.builder().slots(2).maxMemoryBytes(MAX).residentBudgetBytes(0).build()) {
      for (int i = 0; i < 3; i++) {
        try (PooledMemory memory = pool.allocate("k", null, 8 * PAGE)) {
          Contents.assertPristine(memory.segment(), null, "use " + i);
          memory.segment().fill((byte) 1);
        }
        assertThat(pool.measureResidentBytes()).isZero();
        assertThat(pool.stats().residentBytes()).isZero();
      }
    }
  }

  @ParameterizedTest(name = "pagemapScan={0}, budget={1} pages")
  @CsvSource({"true, 40", "false, 40", "true, 7", "false, 7", "true, 1000", "false, 1000"})
  void manyKeysAndSizes_budgetHolds_andSmapsAgreesWithStats(boolean scan, int budgetPages) {
    byte[][] bytes = {Contents.image((int) (3 * PAGE + 9), 21), Contents.image((int) PAGE, 22)};
    long budget = budgetPages * PAGE;
    try (MemoryPool pool =
            MemoryPool.builder()
                .slots(8)
                .maxMemoryBytes(MAX)
                .guardBytes(PAGE)
                .usePagemapScan(scan)
                .residentBudgetBytes(budget)
                .build();
        MemoryImage first = MemoryImage.of(bytes[0]);
        MemoryImage second = MemoryImage.of(bytes[1])) {
      MemoryImage[] images = {first, second, null};
      SplittableRandom random = new SplittableRandom(budgetPages);
      PooledMemory[] open = new PooledMemory[3];
      byte[][] openBytes = new byte[3][];
      for (int step = 0; step < 600; step++) {
        String at = "step " + step;
        int i = random.nextInt(open.length);
        if (open[i] != null) {
          open[i].close();
          open[i] = null;
          if (allClosed(open)) {
            PoolStats stats = pool.stats();
            assertThat(pool.measureResidentBytes()).as(at).isEqualTo(stats.residentBytes());
          }
        } else {
          int which = random.nextInt(3);
          int key = random.nextInt(40);
          long minimum = images[which] == null ? 0 : images[which].byteSize();
          long initial = minimum + random.nextLong(MAX / 2 - minimum);
          PooledMemory memory = pool.allocate(key, images[which], initial);
          Contents.assertPristine(memory.segment(), which < 2 ? bytes[which] : null, at);
          Contents.writeSomePages(memory.segment(), new java.util.Random(step), 0.5, (byte) 0);
          if (random.nextBoolean()) {
            MemorySegment grown = memory.grow(initial + random.nextLong(MAX - initial + 1));
            Contents.assertPristine(
                grown.asSlice(initial),
                tail(which < 2 ? bytes[which] : null, initial),
                at + " grown");
            Contents.writeSomePages(grown, new java.util.Random(-step), 0.3, (byte) 0x5C);
          }
          open[i] = memory;
          openBytes[i] = which < 2 ? bytes[which] : null;
        }
        PoolStats stats = pool.stats();
        assertThat(stats.residentBytes()).as(at).isLessThanOrEqualTo(budget);
      }
      for (PooledMemory memory : open) {
        if (memory != null) {
          memory.close();
        }
      }
      PoolStats stats = pool.stats();
      assertThat(pool.measureResidentBytes()).isEqualTo(stats.residentBytes());
      assertThat(stats.residentBytes()).isLessThanOrEqualTo(budget);
      if (budgetPages < 100) {
        assertThat(stats.budgetDecommits() + stats.decommits()).as("the budget bound").isPositive();
      } else {
        assertThat(stats.budgetDecommits() + stats.decommits()).isZero();
      }
    }
  }

  @Test
  void badBudgetAndKeepResident_areRejectedWithTheirValue() {
    assertThatThrownBy(() -> MemoryPool.builder().residentBudgetBytes(-1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("residentBudgetBytes: -1 (expected: >= 0)");
    assertThatThrownBy(() -> MemoryPool.builder().keepResidentBytes(-PAGE).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("keepResidentBytes: " + -PAGE);
    MemoryPool.Builder builder = MemoryPool.builder().slots(1).maxMemoryBytes(PAGE);
    assertThatThrownBy(builder.residentBudgetBytes(Long.MIN_VALUE)::build)
        .hasMessageStartingWith("residentBudgetBytes: " + Long.MIN_VALUE);
    try (MemoryPool pool = builder.residentBudgetBytes(Long.MAX_VALUE).build()) {
      assertThat(pool.residentBudgetBytes()).isEqualTo(Long.MAX_VALUE);
      assertThat(pool.stats().residentBudgetBytes()).isEqualTo(Long.MAX_VALUE);
    }
  }

  @Test
  void defaults_areAdaptiveConfinedAndBudgeted() {
    try (MemoryPool pool = MemoryPool.builder().slots(4).maxMemoryBytes(MAX).build()) {
      assertThat(pool.residentMode()).isEqualTo(ResidentMode.ADAPTIVE);
      assertThat(pool.threadConfined()).isTrue();
      assertThat(pool.keepResidentBytes()).isEqualTo(MAX);
      assertThat(pool.residentBudgetBytes()).isPositive().isLessThanOrEqualTo(4 * MAX);
      assertThat(pool.stats().mode()).isEqualTo(ResidentMode.ADAPTIVE);
    }
    try (MemoryPool pool =
        MemoryPool.builder().slots(4).maxMemoryBytes(MAX).keepResidentBytes(PAGE).build()) {
      assertThat(pool.residentMode()).isEqualTo(ResidentMode.FIXED);
      assertThat(pool.residentBudgetBytes()).isEqualTo(4 * PAGE);
    }
  }

  private static boolean allClosed(PooledMemory[] open) {
    for (PooledMemory memory : open) {
      if (memory != null) {
        return false;
      }
    }
    return true;
  }

  private static byte[] tail(byte[] image, long from) {
    if (image == null || from >= image.length) {
      return null;
    }
    byte[] tail = new byte[(int) (image.length - from)];
    System.arraycopy(image, (int) from, tail, 0, tail.length);
    return tail;
  }
}
