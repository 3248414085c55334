package dev.slotpool.bench.memory;

import dev.slotpool.memory.MemoryImage;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PoolStats;
import dev.slotpool.memory.PooledMemory;
import dev.slotpool.memory.ResidentMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The resident-memory goal of issue 4: after {@code cycles} allocate/write/release cycles over
 * {@code keys} keys, the process's RSS grows by at most (warm slots x keepResidentBytes) + the
 * slots in use, and {@code stats().residentBytes()} agrees with {@code /proc/self/smaps} for the
 * pool.
 *
 * <p>Each cycle leases a 4 MiB memory with a 256 KiB image shared by all keys, writes 64 random
 * pages and reads 16. The JIT is warmed up on a separate pool first, so the measured pool starts
 * from nothing. Run (a fixed, pre-touched heap keeps the JVM's own RSS still):
 *
 * <pre>
 * java -Xms256m -Xmx256m -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED \
 *     -cp slotpool-bench/target/benchmarks.jar dev.slotpool.bench.memory.ResidentMemoryCheck
 * </pre>
 *
 * <p>{@link #run} is the entry point for other tools (the {@code slotpool bench memory} command).
 */
public final class ResidentMemoryCheck {
  private static final long MAX = 4L << 20;
  private static final long PAGE = MemoryPool.pageSize();

  private ResidentMemoryCheck() {}

  /**
   * What one run measured.
   *
   * @param pagemapScan whether resets used PAGEMAP_SCAN
   * @param cycles the cycles measured (after a warm-up of 2,000 on another pool)
   * @param rssGrowthBytes the process RSS growth over them, from /proc/self/statm
   * @param boundBytes warm slots x keepResidentBytes + slots in use x maxMemoryBytes
   * @param poolRssBytes the pool's Rss from /proc/self/smaps at the end
   * @param stats the pool's stats at the end
   * @param nanosPerCycle the mean time of one cycle
   */
  public record Result(
      boolean pagemapScan,
      int cycles,
      long rssGrowthBytes,
      long boundBytes,
      long poolRssBytes,
      PoolStats stats,
      double nanosPerCycle) {}

  /**
   * Runs the check on a fresh pool.
   *
   * @param slots the pool's slots, all of which may stay warm
   * @param keys how many distinct keys the cycles spread over
   * @param cycles how many cycles to measure
   * @param keepResidentBytes the pool's keep-resident setting
   * @param pagemapScan whether to reset with PAGEMAP_SCAN where the kernel has it
   */
  public static Result run(
      int slots, int keys, int cycles, long keepResidentBytes, boolean pagemapScan) {
    return run(slots, keys, cycles, () -> pool(slots, keepResidentBytes, pagemapScan));
  }

  /**
   * As {@link #run(int, int, int, long, boolean)} with the default, adaptive reset (every written
   * page restored and kept) bounded by {@code residentBudgetBytes}; the result's bound is the
   * budget plus the slots in use.
   */
  public static Result runAdaptive(
      int slots, int keys, int cycles, long residentBudgetBytes, boolean pagemapScan) {
    return run(
        slots,
        keys,
        cycles,
        () ->
            MemoryPool.builder()
                .slots(slots)
                .maxMemoryBytes(MAX)
                .residentBudgetBytes(residentBudgetBytes)
                .usePagemapScan(pagemapScan)
                .build());
  }

  private static Result run(
      int slots, int keys, int cycles, java.util.function.Supplier<MemoryPool> pools) {
    byte[] bytes = new byte[256 << 10];
    new SplittableRandom(1).nextBytes(bytes);
    try (MemoryImage image = MemoryImage.of(bytes)) {
      // Warm up the JIT on a pool of its own, then measure a fresh pool from nothing.
      try (MemoryPool warmUp = pools.get()) {
        cycles(warmUp, image, keys, new SplittableRandom(3), 2_000);
      }
      long before = processResidentBytes();
      try (MemoryPool pool = pools.get()) {
        long start = System.nanoTime();
        cycles(pool, image, keys, new SplittableRandom(7), cycles);
        long elapsed = System.nanoTime() - start;
        long growth = processResidentBytes() - before;
        PoolStats stats = pool.stats();
        long bound =
            (pool.residentMode() == ResidentMode.ADAPTIVE
                    ? pool.residentBudgetBytes()
                    : stats.unusedWarmSlots() * pool.keepResidentBytes())
                + stats.inUse() * MAX;
        return new Result(
            pool.usesPagemapScan(),
            cycles,
            growth,
            bound,
            pool.measureResidentBytes(),
            stats,
            (double) elapsed / cycles);
      }
    }
  }

  private static MemoryPool pool(int slots, long keepResidentBytes, boolean pagemapScan) {
    return MemoryPool.builder()
        .slots(slots)
        .maxMemoryBytes(MAX)
        .keepResidentBytes(keepResidentBytes)
        .usePagemapScan(pagemapScan)
        .build();
  }

  private static void cycles(
      MemoryPool pool, MemoryImage image, int keys, SplittableRandom random, int n) {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      int key = random.nextInt(keys);
      try (PooledMemory memory = pool.allocate(key, image, MAX)) {
        MemorySegment segment = memory.segment();
        for (int p = 0; p < 64; p++) {
          segment.set(ValueLayout.JAVA_LONG, random.nextLong(MAX / PAGE) * PAGE, i);
        }
        for (int p = 0; p < 16; p++) {
          sum += segment.get(ValueLayout.JAVA_BYTE, random.nextLong(MAX / PAGE) * PAGE);
        }
      }
    }
    if (sum == Long.MIN_VALUE) {
      System.out.print("");
    }
  }

  private static long processResidentBytes() {
    try {
      String[] fields = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
      return Long.parseLong(fields[1]) * PAGE;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Prints one line per reset path: the fixed mode (64 KiB kept per slot, 100 keys), then the
   * default adaptive mode under an 8 MiB budget (50 keys).
   */
  public static void main(String[] args) {
    for (boolean scan : new boolean[] {true, false}) {
      print("fixed   ", run(32, 100, 10_000, 64 << 10, scan));
    }
    for (boolean scan : new boolean[] {true, false}) {
      print("adaptive", runAdaptive(32, 50, 10_000, 8L << 20, scan));
    }
  }

  private static void print(String mode, Result r) {
    System.out.printf(
        "%s pagemapScan=%-5s cycles=%d rssGrowth=%d KiB bound=%d KiB poolRss=%d KiB"
            + " stats.residentBytes=%d KiB warm=%d inUse=%d decommits=%d %.1f us/cycle%n",
        mode,
        r.pagemapScan(),
        r.cycles(),
        r.rssGrowthBytes() >> 10,
        r.boundBytes() >> 10,
        r.poolRssBytes() >> 10,
        r.stats().residentBytes() >> 10,
        r.stats().unusedWarmSlots(),
        r.stats().inUse(),
        r.stats().decommits() + r.stats().budgetDecommits(),
        r.nanosPerCycle() / 1000);
  }
}
