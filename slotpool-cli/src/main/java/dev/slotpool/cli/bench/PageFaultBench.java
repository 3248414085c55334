package dev.slotpool.cli.bench;

import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PooledMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

/**
 * Measures what a page of working set costs when its slot did not keep it resident, in
 * microseconds: the cost model's {@code page_fault_us}.
 *
 * <p>Two one-slot {@link MemoryPool}s lease the same key again and again and write one byte on each
 * of {@link #PAGES} pages of zeros: one in the fixed mode with nothing kept resident (every release
 * drops the written pages with {@code madvise(MADV_DONTNEED)}, and the next use faults each one
 * back in), one with the defaults (every written page kept resident and zero-filled on release).
 * The difference per page is the price of not keeping a page: the fault and its share of the
 * decommit, less the zero-fill it saves. Linux only, as {@link MemoryPool} is. Not thread-safe.
 */
public final class PageFaultBench {
  /** Pages written per use. */
  public static final int PAGES = 64;

  /** The page size the figure is per. */
  public static final int PAGE_SIZE = 4096;

  private long sink;

  /**
   * The measured cost per page, in microseconds; 0 if not keeping pages measured no slower (a
   * machine too noisy to tell).
   */
  public double microsPerPage(Duration warmup, Duration measurement) {
    long bytes = (long) PAGES * PAGE_SIZE;
    double dropped;
    double kept;
    try (MemoryPool pool =
        MemoryPool.builder().slots(1).maxMemoryBytes(bytes).keepResidentBytes(0).build()) {
      dropped = TimedLoop.run(() -> use(pool, bytes), warmup, measurement).nanosPerOp();
    }
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(bytes).build()) {
      kept = TimedLoop.run(() -> use(pool, bytes), warmup, measurement).nanosPerOp();
    }
    return Math.max(0, (dropped - kept) / PAGES / 1000);
  }

  private void use(MemoryPool pool, long bytes) {
    try (PooledMemory memory = pool.allocate("page-fault", null, bytes)) {
      MemorySegment segment = memory.segment();
      for (long offset = 0; offset < bytes; offset += PAGE_SIZE) {
        segment.set(ValueLayout.JAVA_BYTE, offset, (byte) 1);
      }
      sink += segment.get(ValueLayout.JAVA_BYTE, 0);
    }
  }

  /** Keeps the writes observable. */
  long sink() {
    return sink;
  }
}
