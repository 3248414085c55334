package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static dev.slotpool.memory.Contents.assertPristine;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slotpool.memory.internal.Smaps;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The default, adaptive reset: what a lease wrote is restored by hand and stays resident, pages it
 * grew into included, and the next lease sees only pristine bytes, on both reset paths (with and
 * without {@code PAGEMAP_SCAN}), with and without an image.
 */
class AdaptiveResetTest {
  private static final long MAX = 32 * PAGE;
  private static final byte[] IMAGE = Contents.image((int) (3 * PAGE + 17), 3);

  private static MemoryPool pool(boolean scan) {
    return MemoryPool.builder()
        .slots(2)
        .maxMemoryBytes(MAX)
        .guardBytes(PAGE)
        .usePagemapScan(scan)
        .build();
  }

  /** The resident bytes of a lease's accessible range, from smaps. */
  private static long rss(PooledMemory memory) {
    MemorySegment segment = memory.segment();
    return Smaps.residentBytes(segment.address(), segment.address() + segment.byteSize());
  }

  @ParameterizedTest(name = "pagemapScan={0}, image={1}")
  @CsvSource({"true, true", "true, false", "false, true", "false, false"})
  void grownPages_stayResident_andTheNextSmallerLeaseGrowsIntoPristinePages(
      boolean scan, boolean withImage) {
    try (MemoryPool pool = pool(scan);
        MemoryImage image = MemoryImage.of(IMAGE)) {
      MemoryImage img = withImage ? image : null;
      byte[] bytes = withImage ? IMAGE : null;
      assertThat(pool.usesPagemapScan()).isEqualTo(scan);
      try (PooledMemory first = pool.allocate("k", img, 4 * PAGE)) {
        first.segment().fill((byte) 0x11);
        first.grow(12 * PAGE).fill((byte) 0x22); // every page of the grown memory written
      }
      PoolStats stats = pool.stats();
      assertThat(stats.residentBytes()).as("kept, grown pages included").isEqualTo(12 * PAGE);
      assertThat(pool.measureResidentBytes()).isEqualTo(12 * PAGE);
      assertThat(stats.decommits()).isZero();

      Random random = new Random(5);
      for (int use = 0; use < 4; use++) {
        String context = "use " + use;
        try (PooledMemory next = pool.allocate("k", img, 4 * PAGE)) {
          assertThat(next.reused()).isTrue();
          assertThat(next.byteSize()).isEqualTo(4 * PAGE);
          assertPristine(next.segment(), bytes, context);
          Contents.writeSomePages(next.segment(), random, 0.5, (byte) 0x33);
          MemorySegment grown = next.grow(12 * PAGE);
          assertPristine(grown.asSlice(4 * PAGE), tail(bytes, 4 * PAGE), context + " regrown");
          // smaps counts whole mappings: from use 1 on, the read-write mapping also holds the
          // pristine pages [12, 16) that the same key's last lease grew into and kept resident.
          assertThat(rss(next))
              .as(context + ": the grown pages were still resident")
              .isEqualTo((use == 0 ? 12 : 16) * PAGE);
          Contents.writeSomePages(grown, random, 0.5, (byte) 0x44);
          MemorySegment further = next.grow(16 * PAGE);
          assertPristine(further.asSlice(12 * PAGE), null, context + " grown further");
          Contents.writeEveryPage(further, (byte) 0x55);
        }
        assertThat(pool.stats().residentBytes()).as(context).isEqualTo(16 * PAGE);
        assertThat(pool.measureResidentBytes()).as(context).isEqualTo(16 * PAGE);
      }
      // A smaller lease that never grows still sees pristine memory, and the pages stay.
      try (PooledMemory small = pool.allocate("k", img, 4 * PAGE)) {
        assertPristine(small.segment(), bytes, "small");
      }
      assertThat(pool.measureResidentBytes()).isEqualTo(16 * PAGE);
      PoolStats after = pool.stats();
      assertThat(after.decommits()).isZero();
      assertThat(after.copiedBytes() > 0).isEqualTo(withImage);
      assertThat(after.zeroedBytes()).isPositive();
    }
  }

  @ParameterizedTest(name = "pagemapScan={0}")
  @CsvSource({"true", "false"})
  void keyChange_onAGrownSlot_seesTheOtherImageOrZeros_andNothingBeyondItsSize(boolean scan) {
    try (MemoryPool pool =
            MemoryPool.builder()
                .slots(1)
                .maxMemoryBytes(MAX)
                .guardBytes(PAGE)
                .usePagemapScan(scan)
                .build();
        MemoryImage image = MemoryImage.of(IMAGE)) {
      try (PooledMemory a = pool.allocate("a", image, 4 * PAGE)) {
        a.grow(20 * PAGE).fill((byte) 0x66);
      }
      try (PooledMemory b = pool.allocate("b", null, 2 * PAGE)) {
        assertThat(b.reused()).isFalse();
        assertPristine(b.segment(), null, "b");
        assertPristine(b.grow(20 * PAGE), null, "b grown");
        b.segment().fill((byte) 0x77);
      }
      try (PooledMemory a = pool.allocate("a", image, 4 * PAGE)) {
        assertPristine(a.grow(24 * PAGE), IMAGE, "a again");
      }
      PoolStats stats = pool.stats();
      assertThat(stats.residentBytes()).isEqualTo(pool.measureResidentBytes());
    }
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
