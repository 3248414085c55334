package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Resident memory stays bounded over many cycles, and {@link PoolStats#residentBytes()} agrees with
 * what the kernel reports for the pool's mapping.
 *
 * <p>The process-wide bound is measured from {@code /proc/self/statm}. The surefire JVM of this
 * module runs with a fixed, pre-touched heap ({@code -Xms=-Xmx, -XX:+AlwaysPreTouch}), so garbage
 * from the leases does not move RSS; the slack left for the rest of the JVM (JIT code, metaspace,
 * thread stacks) is {@link #JVM_SLACK}. A pool that leaked what its leases wrote would exceed the
 * bound by far: every cycle writes 64 random pages of a 4 MiB memory, so without decommit each of
 * the 32 slots would end up with most of its 4 MiB resident (over 100 MiB in all), against a bound
 * of 2 MiB plus the slack. The slack is wide because C2 compiles and glibc's malloc arenas grow
 * during the run: a standalone run of the same cycles measured 1 to 18 MiB of growth while the
 * pool's own mapping stayed at exactly its 1-2 MiB of kept-resident pages.
 */
class ResidentMemoryTest {
  private static final int SLOTS = 32;
  private static final int KEYS = 100;
  private static final int CYCLES = 10_000;
  private static final long MAX = 4L << 20;
  private static final long KEEP = 64L << 10;
  private static final long JVM_SLACK = 32L << 20;

  @ParameterizedTest(name = "pagemapScan={0}")
  @CsvSource({"true", "false"})
  void tenThousandCycles_overHundredKeys_keepResidentMemoryBounded(boolean scan)
      throws IOException {
    try (MemoryImage image = MemoryImage.of(Contents.image(256 << 10, 1))) {
      // Warm up the JIT on a pool of its own, then measure a fresh pool from nothing.
      try (MemoryPool warmUp = pool(scan)) {
        cycles(warmUp, image, new SplittableRandom(3), 2_000);
      }
      long before = processResidentBytes();
      try (MemoryPool pool = pool(scan)) {
        cycles(pool, image, new SplittableRandom(7), CYCLES);
        long growth = processResidentBytes() - before;

        PoolStats stats = pool.stats();
        assertThat(stats.inUse()).isZero();
        assertThat(stats.unusedWarmSlots()).isEqualTo(SLOTS);
        assertThat(stats.residentBytes()).isLessThanOrEqualTo(stats.unusedWarmSlots() * KEEP);
        long bound = stats.unusedWarmSlots() * KEEP + stats.inUse() * MAX;
        long measured = pool.measureResidentBytes();
        System.out.printf(
            "pagemapScan=%s: RSS growth %d KiB over %d cycles (bound %d KiB + slack); pool Rss"
                + " %d KiB, stats().residentBytes() %d KiB%n",
            scan, growth >> 10, CYCLES, bound >> 10, measured >> 10, stats.residentBytes() >> 10);
        assertThat(growth)
            .as("RSS growth over %d cycles (bound %d + slack %d)", CYCLES, bound, JVM_SLACK)
            .isLessThanOrEqualTo(bound + JVM_SLACK);
        assertThat(measured)
            .as("smaps Rss of the pool vs stats().residentBytes()")
            .isBetween(stats.residentBytes() - SLOTS * PAGE, stats.residentBytes() + SLOTS * PAGE);
      }
    }
  }

  private static MemoryPool pool(boolean scan) {
    return MemoryPool.builder()
        .slots(SLOTS)
        .maxUnusedWarmSlots(SLOTS)
        .maxMemoryBytes(MAX)
        .keepResidentBytes(KEEP)
        .usePagemapScan(scan)
        .build();
  }

  private static void cycles(MemoryPool pool, MemoryImage image, SplittableRandom random, int n) {
    for (int i = 0; i < n; i++) {
      int key = random.nextInt(KEYS);
      try (PooledMemory memory = pool.allocate(key, image, MAX)) {
        MemorySegment segment = memory.segment();
        for (int p = 0; p < 64; p++) {
          segment.set(ValueLayout.JAVA_LONG, random.nextLong(MAX / PAGE) * PAGE, i);
        }
        // Read some pages too: clean image pages and zero pages stay mapped but not written.
        long sum = 0;
        for (int p = 0; p < 16; p++) {
          sum += segment.get(ValueLayout.JAVA_BYTE, random.nextLong(MAX / PAGE) * PAGE);
        }
        assertThat(sum).isNotEqualTo(Long.MIN_VALUE);
      }
    }
  }

  static long processResidentBytes() throws IOException {
    String[] fields = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
    return Long.parseLong(fields[1]) * PAGE;
  }
}
