package dev.slotpool.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

/** What a memory should hold, and ways to scribble over one. */
final class Contents {
  static final long PAGE = MemoryPool.pageSize();

  private Contents() {}

  /** Bytes {@code [0, size)} of a memory that starts as {@code image}: the image, then zeros. */
  static byte[] pristine(byte[] image, long size) {
    byte[] expected = new byte[Math.toIntExact(size)];
    if (image != null) {
      System.arraycopy(image, 0, expected, 0, Math.min(image.length, expected.length));
    }
    return expected;
  }

  /** Asserts that {@code segment} holds exactly the pristine contents for {@code image}. */
  static void assertPristine(MemorySegment segment, byte[] image, String context) {
    byte[] actual = segment.toArray(ValueLayout.JAVA_BYTE);
    byte[] expected = pristine(image, segment.byteSize());
    int at = Arrays.mismatch(actual, expected);
    assertThat(at)
        .as(
            "%s: first byte that differs from the pristine image (found %s, expected %s)",
            context, at < 0 ? "-" : actual[at], at < 0 ? "-" : expected[at])
        .isEqualTo(-1);
  }

  /** Random bytes, none of them zero, so that a leaked byte never looks pristine by chance. */
  static byte[] image(int size, long seed) {
    byte[] bytes = new byte[size];
    Random random = new Random(seed);
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) (1 + random.nextInt(255));
    }
    return bytes;
  }

  /** Writes a marker byte into every page of the segment. */
  static void writeEveryPage(MemorySegment segment, byte marker) {
    for (long at = 0; at < segment.byteSize(); at += PAGE) {
      segment.set(ValueLayout.JAVA_BYTE, at + (at / PAGE) % PAGE, marker);
    }
  }

  /** Writes a marker into about {@code fraction} of the pages, chosen at random. */
  static void writeSomePages(MemorySegment segment, Random random, double fraction, byte marker) {
    for (long at = 0; at < segment.byteSize(); at += PAGE) {
      if (random.nextDouble() < fraction) {
        long offset = at + random.nextInt((int) Math.min(PAGE, segment.byteSize() - at));
        segment.set(ValueLayout.JAVA_BYTE, offset, marker);
      }
    }
  }
}
