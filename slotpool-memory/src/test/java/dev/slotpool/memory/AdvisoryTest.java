package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static dev.slotpool.memory.Contents.assertPristine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The leak classes of Wasmtime's pooling-allocator advisories, as tests of this pool, on every
 * reset path: adaptive (the default), adaptive with a budget of 0 (every release decommits), fixed
 * keep-resident (part of the slot restored by hand, the rest dropped) and fixed 0 (everything
 * dropped), each with and without {@code PAGEMAP_SCAN}. Every lease checks that nothing its slot's
 * previous user wrote is readable.
 */
class AdvisoryTest {
  private static final long MAX = 256 * PAGE;
  private static final byte[] IMAGE = Contents.image((int) (6 * PAGE + 77), 9);

  /** A reset path: how the pool is built. */
  record ResetPath(String name, boolean scan, long keep, long budget) {
    MemoryPool pool() {
      MemoryPool.Builder b =
          MemoryPool.builder().slots(1).maxMemoryBytes(MAX).guardBytes(PAGE).usePagemapScan(scan);
      if (keep >= 0) {
        b.keepResidentBytes(keep);
      }
      if (budget >= 0) {
        b.residentBudgetBytes(budget);
      }
      return b.build();
    }

    @Override
    public String toString() {
      return name + (scan ? ", PAGEMAP_SCAN" : ", no scan");
    }
  }

  static Stream<Arguments> resetPaths() {
    List<Arguments> all = new ArrayList<>();
    for (boolean scan : new boolean[] {true, false}) {
      all.add(Arguments.of(new ResetPath("adaptive", scan, -1, -1)));
      all.add(Arguments.of(new ResetPath("adaptive, budget 0 (decommit)", scan, -1, 0)));
      all.add(Arguments.of(new ResetPath("fixed keepResident 5 pages", scan, 5 * PAGE, -1)));
      all.add(Arguments.of(new ResetPath("fixed keepResident 0 (decommit)", scan, 0, -1)));
    }
    return all.stream();
  }

  /** CVE-2022-39393: a slot that switches between a key with an image and one without. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void slotSwitchingBetweenImageAndNoImage_neverShowsTheOtherUsersBytes(ResetPath path) {
    try (MemoryPool pool = path.pool();
        MemoryImage image = MemoryImage.of(IMAGE)) {
      for (int round = 0; round < 3; round++) {
        try (PooledMemory with = pool.allocate("with", image, 16 * PAGE)) {
          assertPristine(with.segment(), IMAGE, path + ": image, round " + round);
          with.segment().fill((byte) 0x5A); // over the image and past it
        }
        try (PooledMemory without = pool.allocate("without", null, 16 * PAGE)) {
          assertPristine(without.segment(), null, path + ": no image, round " + round);
          without.segment().fill((byte) 0x6B);
        }
        try (PooledMemory keyless = pool.allocate(null, null, 16 * PAGE)) {
          assertPristine(keyless.segment(), null, path + ": no key, round " + round);
          keyless.segment().asSlice(0, 8 * PAGE).fill((byte) 0x7C);
        }
      }
      assertThat(pool.usesPagemapScan()).isEqualTo(path.scan());
    }
  }

  /**
   * CVE-2026-34988: a memory grown large, then its slot reused by a smaller one of another module.
   * The small lease reaches nothing beyond its size (its segment stops there and the pages are
   * inaccessible to native code too), and growing again shows zeros, not the large lease's bytes.
   * The same module's next lease keeps the grown pages read-write (they are pristine, and it will
   * likely grow into them again), but its segment stops at its size and growing shows the image.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void grownThenReusedSmaller_noAccessBeyondItsSize_andGrowingShowsNoOldBytes(ResetPath path) {
    try (MemoryPool pool = path.pool();
        MemoryImage image = MemoryImage.of(IMAGE)) {
      try (PooledMemory large = pool.allocate("m", image, 8 * PAGE)) {
        large.grow(200 * PAGE).fill((byte) 0x5A);
      }
      try (PooledMemory sameModule = pool.allocate("m", image, 7 * PAGE)) {
        MemorySegment segment = sameModule.segment();
        assertThat(segment.byteSize()).isEqualTo(7 * PAGE);
        assertPristine(segment, IMAGE, path + ": same module, small");
        assertThatThrownBy(() -> segment.get(ValueLayout.JAVA_BYTE, 7 * PAGE))
            .isInstanceOf(IndexOutOfBoundsException.class);
        MemorySegment grown = sameModule.grow(200 * PAGE);
        assertPristine(grown, IMAGE, path + ": same module, grown");
        grown.fill((byte) 0x5B);
      }
      try (PooledMemory small = pool.allocate("n", image, 7 * PAGE)) {
        MemorySegment segment = small.segment();
        assertThat(segment.byteSize()).isEqualTo(7 * PAGE);
        assertPristine(segment, IMAGE, path + ": small");
        assertThatThrownBy(() -> segment.get(ValueLayout.JAVA_BYTE, 7 * PAGE))
            .isInstanceOf(IndexOutOfBoundsException.class);
        long base = segment.address();
        assertThat(Maps.accessibleBytes(base + 7 * PAGE, base + MAX + PAGE))
            .as("%s: bytes mapped readable or writable beyond the small lease", path)
            .isZero();
        assertPristine(small.grow(180 * PAGE), IMAGE, path + ": small grown");
      }
    }
  }

  /** CVE-2022-39392: a 0-page memory after a user that wrote the slot. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void zeroPageMemory_afterAWriter_reachesNothing_andGrowsPristine(ResetPath path) {
    try (MemoryPool pool = path.pool();
        MemoryImage image = MemoryImage.of(IMAGE)) {
      try (PooledMemory writer = pool.allocate("a", image, 32 * PAGE)) {
        writer.segment().fill((byte) 0x5A);
      }
      try (PooledMemory empty = pool.allocate("b", null, 0)) {
        MemorySegment segment = empty.segment();
        assertThat(segment.byteSize()).isZero();
        assertThatThrownBy(() -> segment.get(ValueLayout.JAVA_BYTE, 0))
            .isInstanceOf(IndexOutOfBoundsException.class);
        long base = segment.address();
        assertThat(Maps.accessibleBytes(base, base + MAX + PAGE))
            .as("%s: bytes mapped readable or writable in a 0-page slot", path)
            .isZero();
        assertPristine(empty.grow(32 * PAGE), null, path + ": grown from 0");
      }
    }
  }

  /**
   * Wasmtime #14357: a reset range with more dirty regions than one {@code PAGEMAP_SCAN} buffer
   * holds (64). Every other page of a 200-page image is written, so that written (anonymous) and
   * clean (file) pages alternate: 200 regions, and the scan must go on past the first buffer.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void moreDirtyRegionsThanOneScanBuffer_allAreReset(ResetPath path) {
    byte[] big = Contents.image((int) (200 * PAGE), 11);
    try (MemoryPool pool = path.pool();
        MemoryImage image = MemoryImage.of(big)) {
      for (int round = 0; round < 3; round++) {
        try (PooledMemory memory = pool.allocate("m", image, 200 * PAGE)) {
          MemorySegment segment = memory.segment();
          assertPristine(segment, big, path + ": round " + round);
          for (long page = round % 2; page < 200; page += 2) {
            segment.set(ValueLayout.JAVA_BYTE, page * PAGE + (page * 31) % PAGE, (byte) 0);
          }
        }
      }
    }
  }

  /** Parses {@code /proc/self/maps}. */
  static final class Maps {
    private Maps() {}

    /** How many bytes of {@code [from, to)} are mapped with any access (readable or writable). */
    static long accessibleBytes(long from, long to) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of("/proc/self/maps"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      long total = 0;
      for (String line : lines) {
        int dash = line.indexOf('-');
        int space = line.indexOf(' ');
        long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
        long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
        String perms = line.substring(space + 1, space + 5);
        boolean accessible = perms.charAt(0) != '-' || perms.charAt(1) != '-';
        long overlap = Math.min(end, to) - Math.max(start, from);
        if (accessible && overlap > 0) {
          total += overlap;
        }
      }
      return total;
    }
  }
}
