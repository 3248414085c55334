package dev.slotpool.memory;

import dev.slotpool.index.AffinityIndexAllocator;
import dev.slotpool.memory.internal.Libc;
import java.time.Duration;
import java.util.Objects;

/**
 * Every setting of a {@link MemoryPool}, and of a {@code WasmInstancePool}, which takes the same:
 * the one list of the settings, their defaults ({@code DEFAULT_*}) and their ranges. {@link
 * MemoryPool.Builder} and {@code WasmInstancePool.Builder} have one setter per component, build
 * this record, and the pool, its lease path and its {@link PoolMBean} read it; {@link
 * MemoryPool#settings()} returns it.
 *
 * <p>The values are the ones in force: the builder fills in the defaults that depend on other
 * settings or on the machine ({@code residentBudgetBytes}, {@code maxUnusedWarmSlots}, {@code
 * keepResidentBytes} in the adaptive mode) before the record is made, and {@code keepResidentBytes}
 * is rounded up to a page.
 *
 * <p>The default sizes let a module do under the pool what it does under plain Chicory: {@value
 * #DEFAULT_SLOTS} slots (Wasmtime's default {@code total_memories}), each able to grow to {@code
 * DEFAULT_MAX_MEMORY_BYTES} (2 GiB, Chicory's own ceiling of 32,767 pages plus one). The slots are
 * address space reserved {@code PROT_NONE}, not memory: about 2 TiB per default pool, so a process
 * holds about 60 default pools open at once on x86-64's 128 TiB; unclosed pools that the garbage
 * collector can reclaim are reclaimed when a reservation would otherwise fail. Nothing else grows
 * with the sizes: the pool keeps a few words per slot, and only the pages a memory uses are ever
 * resident (see {@link #residentBudgetBytes}).
 *
 * @param slots the number of slots: the most memories in use at once ({@value #DEFAULT_SLOTS} by
 *     default; 1 to {@link AffinityIndexAllocator#MAX_CAPACITY})
 * @param maxMemoryBytes the most bytes one slot's memory can grow to, a page multiple (default 2
 *     GiB)
 * @param guardBytes inaccessible bytes after each slot, a page multiple, possibly 0 (default 64
 *     KiB)
 * @param residentMode what a reset keeps resident: {@link ResidentMode#ADAPTIVE} (the default) or
 *     {@link ResidentMode#FIXED}, which {@link MemoryPool.Builder#keepResidentBytes} selects
 * @param keepResidentBytes in the fixed mode, the most bytes a reset keeps resident in a slot,
 *     restored by hand (rounded up to a page; the rest is dropped with {@code
 *     madvise(MADV_DONTNEED)}; 0 drops everything, so that every page a lease touches faults again
 *     in the next one); in the adaptive mode {@code maxMemoryBytes}: a reset keeps every page the
 *     lease wrote, within {@code residentBudgetBytes}
 * @param residentBudgetBytes the most bytes the unused (warm) slots may keep resident together,
 *     {@code >= 0}. When a release would exceed it, the coldest warm slots (the least recently
 *     released) are decommitted first; they stay warm, with their affinity and image, and fault
 *     their pages in again on next use. If that is still not enough, the releasing slot keeps only
 *     what fits. Default: a sixteenth of the memory this process may use ({@code MemTotal} in
 *     {@code /proc/meminfo}, or the cgroup's {@code memory.max} if lower; 1 GiB if neither can be
 *     read), and at most what the slots could keep ({@code slots * keepResidentBytes}). Warm pages
 *     are a cache that makes the next lease of a slot fault-free, not memory anyone uses: a
 *     sixteenth leaves the machine to the heap and the programs themselves while holding the
 *     working sets of many warm modules. Set it to what the host can spare
 * @param maxUnusedWarmSlots how many warm slots may accumulate before an allocation without a warm
 *     slot of its own evicts the least recently used warm slot rather than taking a cold one
 *     ({@code >= 0}; default: {@code slots})
 * @param decommitBatchSize how many released slots to collect before dropping their pages in one
 *     pass (1 to {@code slots}; default 1: at once). Queued slots are not available until their
 *     batch is flushed, which also happens when an allocation would otherwise fail
 * @param usePagemapScan whether resets use {@code PAGEMAP_SCAN} to restore only written pages where
 *     the kernel has it (default true; {@link MemoryPool#usesPagemapScan()} says whether it does).
 *     Without it a reset restores by hand all of the range it keeps resident (in the adaptive mode,
 *     everything the slot has had accessible; in the fixed mode, the first {@code
 *     keepResidentBytes}) and drops the rest
 * @param threadConfined whether each lease is confined to the thread that allocated it (default
 *     true; see {@link MemoryPool.Builder#threadConfined}); always false for a {@code
 *     WasmInstancePool}, whose instances work from any thread
 * @param recordAllocationSites whether each allocation records where it happened, so that a lease
 *     found unreachable without having been closed is reported with its allocation site through
 *     {@link System.Logger} (at {@code WARNING}) when its slot is reclaimed (default false: a stack
 *     trace per allocation costs microseconds). Leaks are detected, reclaimed and counted in {@link
 *     PoolStats#leakedLeases()} either way
 * @param maxWait how long an allocation (an instantiation) that finds every slot in use waits for
 *     one to be released before it throws {@link PoolExhaustedException}, when the call names no
 *     wait of its own (default {@code DEFAULT_MAX_WAIT}, 30 seconds, as HikariCP's {@code
 *     connectionTimeout}); {@link Duration#ZERO} fails at once. Not negative; one too long to count
 *     in nanoseconds waits without a limit. Waits are counted in {@link PoolStats#waits()} and
 *     {@link PoolStats#waitNanos()}
 */
public record PoolSettings(
    int slots,
    long maxMemoryBytes,
    long guardBytes,
    ResidentMode residentMode,
    long keepResidentBytes,
    long residentBudgetBytes,
    int maxUnusedWarmSlots,
    int decommitBatchSize,
    boolean usePagemapScan,
    boolean threadConfined,
    boolean recordAllocationSites,
    Duration maxWait) {

  /** The default number of slots: Wasmtime's default {@code total_memories}. */
  public static final int DEFAULT_SLOTS = 1000;

  /**
   * The default {@code maxMemoryBytes}: 2 GiB, enough for every memory Chicory itself can create
   * (at most 32,767 pages of 64 KiB).
   */
  public static final long DEFAULT_MAX_MEMORY_BYTES = 2L << 30;

  /** The default {@code guardBytes}: 64 KiB. */
  public static final long DEFAULT_GUARD_BYTES = 64L << 10;

  /** The default {@code maxWait}: 30 seconds, as HikariCP's {@code connectionTimeout}. */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(30);

  /**
   * Checks every setting; each failure is an {@link IllegalArgumentException} that names the
   * setting, its value and what was expected (the first setting in component order that is out of
   * range). Rounds {@code keepResidentBytes} up to a page in the fixed mode.
   *
   * @throws IllegalArgumentException if a setting is out of range, or the sizes overflow a long
   * @throws NullPointerException if {@code residentMode} or {@code maxWait} is null
   */
  public PoolSettings {
    Objects.requireNonNull(residentMode, "residentMode");
    Objects.requireNonNull(maxWait, "maxWait");
    long page = Libc.pageSize();
    if (slots < 1 || slots > AffinityIndexAllocator.MAX_CAPACITY) {
      throw outOfRange("slots", slots, "1 <= slots <= " + AffinityIndexAllocator.MAX_CAPACITY);
    }
    if (maxMemoryBytes <= 0 || maxMemoryBytes % page != 0) {
      throw outOfRange("maxMemoryBytes", maxMemoryBytes, "> 0 and a multiple of " + page);
    }
    if (guardBytes < 0 || guardBytes % page != 0) {
      throw outOfRange("guardBytes", guardBytes, ">= 0 and a multiple of " + page);
    }
    if (residentMode == ResidentMode.ADAPTIVE && keepResidentBytes != maxMemoryBytes) {
      throw outOfRange(
          "keepResidentBytes",
          keepResidentBytes,
          "maxMemoryBytes " + maxMemoryBytes + " in the adaptive mode");
    }
    if (keepResidentBytes < 0 || keepResidentBytes > maxMemoryBytes) {
      throw outOfRange(
          "keepResidentBytes",
          keepResidentBytes,
          "0 <= keepResidentBytes <= maxMemoryBytes " + maxMemoryBytes);
    }
    if (residentBudgetBytes < 0) {
      throw outOfRange("residentBudgetBytes", residentBudgetBytes, ">= 0");
    }
    if (maxUnusedWarmSlots < 0) {
      throw outOfRange("maxUnusedWarmSlots", maxUnusedWarmSlots, ">= 0");
    }
    if (decommitBatchSize < 1 || decommitBatchSize > slots) {
      throw outOfRange(
          "decommitBatchSize", decommitBatchSize, "1 <= decommitBatchSize <= slots " + slots);
    }
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException(
          "maxWait: " + maxWait + " (expected: >= 0; Duration.ZERO fails at once)");
    }
    if (guardBytes > Long.MAX_VALUE - maxMemoryBytes) {
      throw new IllegalArgumentException(
          "maxMemoryBytes + guardBytes: "
              + maxMemoryBytes
              + " + "
              + guardBytes
              + " overflows a long (expected: a slot that fits the address space)");
    }
    long stride = maxMemoryBytes + guardBytes;
    if (stride > Long.MAX_VALUE / slots) {
      throw new IllegalArgumentException(
          "slots * (maxMemoryBytes + guardBytes): "
              + slots
              + " * "
              + stride
              + " overflows a long (expected: a reservation that fits the address space)");
    }
    keepResidentBytes = (keepResidentBytes + page - 1) & -page; // maxMemoryBytes is a page multiple
  }

  /** The address space the pool reserves: {@code slots * (maxMemoryBytes + guardBytes)}. */
  public long reservationBytes() {
    return slots * (maxMemoryBytes + guardBytes);
  }

  /** These settings with {@code threadConfined} replaced. */
  PoolSettings withThreadConfined(boolean confined) {
    return new PoolSettings(
        slots,
        maxMemoryBytes,
        guardBytes,
        residentMode,
        keepResidentBytes,
        residentBudgetBytes,
        maxUnusedWarmSlots,
        decommitBatchSize,
        usePagemapScan,
        confined,
        recordAllocationSites,
        maxWait);
  }

  private static IllegalArgumentException outOfRange(String name, long value, String expected) {
    return new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
  }
}
