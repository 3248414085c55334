package dev.slotpool.memory.internal;

import static dev.slotpool.memory.internal.Pagemap.PAGE_IS_FILE;
import static dev.slotpool.memory.internal.Pagemap.PAGE_IS_PFNZERO;
import static dev.slotpool.memory.internal.Pagemap.PAGE_IS_PRESENT;
import static dev.slotpool.memory.internal.Pagemap.PAGE_IS_SWAPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PooledMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * How a reset reads a {@code PAGEMAP_SCAN} result. Swap cannot be enabled here, so the swapped
 * category is tested on the classification the reset uses: a page swapped out between two uses was
 * written and must be restored like a present one.
 */
class PagemapTest {
  private static final long PAGE = MemoryPool.pageSize();

  @Test
  void swappedPages_areWritten_andRestoredLikePresentOnes() {
    assertThat(Pagemap.isWritten(PAGE_IS_SWAPPED)).as("swapped anonymous page").isTrue();
    assertThat(Pagemap.isWritten(0)).as("present anonymous page (masked)").isTrue();
    assertThat(Pagemap.isWritten(PAGE_IS_PRESENT)).as("present anonymous page").isTrue();
  }

  @Test
  void cleanFilePages_andTheZeroPage_areNotWritten_evenUnderMigration() {
    assertThat(Pagemap.isWritten(PAGE_IS_FILE)).as("unmodified image page").isFalse();
    assertThat(Pagemap.isWritten(PAGE_IS_PFNZERO)).as("shared zero page").isFalse();
    assertThat(Pagemap.isWritten(PAGE_IS_FILE | PAGE_IS_SWAPPED))
        .as("file page migrating")
        .isFalse();
  }

  @Test
  void realScan_ofMoreRegionsThanOneBuffer_goesOn_andFindsEveryWrittenPage() {
    assumeTrue(Pagemap.isAvailable(), "PAGEMAP_SCAN needs Linux 6.7+");
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(256 * PAGE).build();
        PooledMemory lease = pool.allocate(null, null, 200 * PAGE)) {
      MemorySegment segment = lease.segment();
      for (long page = 0; page < 200; page += 2) {
        segment.set(ValueLayout.JAVA_BYTE, page * PAGE, (byte) 1); // 100 regions, holes between
      }
      long base = segment.address();
      Pagemap.Scan scan = Pagemap.scan();
      long written = 0;
      long position = base;
      int scans = 0;
      while (position < base + 200 * PAGE) {
        int n = scan.run(position, base + 200 * PAGE);
        for (int i = 0; i < n; i++) {
          if (Pagemap.isWritten(scan.categories(i))) {
            written += scan.end(i) - scan.start(i);
          }
        }
        assertThat(scan.walkEnd()).isGreaterThan(position);
        position = scan.walkEnd();
        scans++;
      }
      assertThat(written).isEqualTo(100 * PAGE);
      assertThat(scans).as("more regions than one buffer holds").isGreaterThan(1);
    }
  }
}
