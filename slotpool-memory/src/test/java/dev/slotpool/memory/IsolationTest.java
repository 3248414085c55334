package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static dev.slotpool.memory.Contents.assertPristine;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No byte written by one lease is visible to the next lease of the slot: every combination of key
 * (same or different), image (none, the same, another), keep-resident (none, part, all), growth and
 * reset path (PAGEMAP_SCAN or not).
 */
class IsolationTest {
  private static final long MAX = 64 * PAGE;
  private static final byte[] IMAGE_A = Contents.image((int) (5 * PAGE + 123), 1);
  private static final byte[] IMAGE_B = Contents.image((int) (9 * PAGE + 7), 2);

  static Stream<Arguments> configurations() {
    List<Arguments> all = new ArrayList<>();
    for (boolean scan : new boolean[] {true, false}) {
      for (long keep : new long[] {0, 3 * PAGE, 8 * PAGE, MAX}) {
        all.add(Arguments.of(scan, keep));
      }
    }
    return all.stream();
  }

  private static MemoryPool pool(boolean scan, long keep) {
    return MemoryPool.builder()
        .slots(1)
        .maxMemoryBytes(MAX)
        .guardBytes(PAGE)
        .keepResidentBytes(keep)
        .usePagemapScan(scan)
        .build();
  }

  @ParameterizedTest(name = "pagemapScan={0}, keepResident={1}")
  @MethodSource("configurations")
  void nextLease_seesPristineMemory_forEveryKeyImageAndGrowthSequence(boolean scan, long keep) {
    try (MemoryPool pool = pool(scan, keep);
        MemoryImage a = MemoryImage.of(IMAGE_A);
        MemoryImage b = MemoryImage.of(IMAGE_B)) {
      Object[] keys = {"k1", "k1", "k2", null, "k1", "k1", "k2", "k2", "k1", null, "k1"};
      MemoryImage[] images = {a, a, a, null, null, b, b, a, a, a, null};
      byte[][] bytes = {
        IMAGE_A, IMAGE_A, IMAGE_A, null, null, IMAGE_B, IMAGE_B, IMAGE_A, IMAGE_A, IMAGE_A, null
      };
      Random random = new Random(42);
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < keys.length; i++) {
          long initial = Math.max(images[i] == null ? 0 : images[i].byteSize(), (i % 4) * 5 * PAGE);
          String context = "round " + round + " step " + i + " key " + keys[i];
          try (PooledMemory memory = pool.allocate(keys[i], images[i], initial)) {
            assertThat(memory.slot()).isZero();
            assertPristine(memory.segment(), bytes[i], context);
            scribble(memory, random, i);
            // Grow, and check the new bytes are pristine too.
            long grown = Math.min(MAX, initial + (1 + random.nextInt(20)) * PAGE);
            MemorySegment after = memory.grow(grown);
            assertThat(after.byteSize()).isEqualTo(grown);
            assertPristine(after.asSlice(initial), tail(bytes[i], initial), context + " grown");
            scribble(memory, random, i + 100);
          }
        }
      }
      assertThat(pool.usesPagemapScan()).isEqualTo(scan);
    }
  }

  @ParameterizedTest(name = "pagemapScan={0}, keepResident={1}")
  @MethodSource("configurations")
  void sameKeyAndImage_isReused_andStillPristine(boolean scan, long keep) {
    try (MemoryPool pool = pool(scan, keep);
        MemoryImage a = MemoryImage.of(IMAGE_A)) {
      for (int i = 0; i < 5; i++) {
        try (PooledMemory memory = pool.allocate("k", a, 16 * PAGE)) {
          assertThat(memory.reused()).isEqualTo(i > 0);
          assertPristine(memory.segment(), IMAGE_A, "use " + i);
          Contents.writeEveryPage(memory.segment(), (byte) 0);
          memory.segment().fill((byte) (i + 1));
          memory.grow(MAX).fill((byte) (i + 7));
        }
      }
      assertThat(pool.stats().imageMappings()).isEqualTo(1);
      assertThat(pool.stats().affinityHits()).isEqualTo(4);
    }
  }

  /** Writes everything (odd steps) or a random half of the pages (even steps). */
  private static void scribble(PooledMemory memory, Random random, int step) {
    MemorySegment segment = memory.segment();
    if (step % 2 == 1) {
      segment.fill((byte) 0x5A);
    } else {
      Contents.writeSomePages(segment, random, 0.5, (byte) 0);
      Contents.writeSomePages(segment, random, 0.5, (byte) 0x77);
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
