package dev.slotpool.memory.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads resident bytes from {@code /proc/self/smaps}. Thread-safe (it keeps no state). */
public final class Smaps {
  private static final Path SMAPS = Path.of("/proc/self/smaps");

  private Smaps() {}

  /**
   * The sum of the {@code Rss} of every mapping that overlaps {@code [start, end)}. A reservation
   * that {@code mprotect} and {@code mmap(MAP_FIXED)} have split into many mappings is summed
   * whole; a mapping merged across its edge with a neighbour is counted whole too.
   *
   * @throws UncheckedIOException if the file cannot be read
   */
  public static long residentBytes(long start, long end) {
    long total = 0;
    boolean inside = false;
    try (BufferedReader reader = Files.newBufferedReader(SMAPS)) {
      String line;
      while ((line = reader.readLine()) != null) {
        int dash = line.indexOf('-');
        int space = line.indexOf(' ');
        if (dash > 0 && space > dash && isHex(line, 0, dash)) {
          long from = Long.parseUnsignedLong(line, 0, dash, 16);
          long to = Long.parseUnsignedLong(line, dash + 1, space, 16);
          // Overlapping, not only inside: the kernel merges the reservation's first or last
          // mapping with a neighbour of the same flags (a PROT_NONE region that may hold a slot's
          // resident, shrunk-away pages), and such a mapping must still be counted.
          inside = Long.compareUnsigned(from, end) < 0 && Long.compareUnsigned(to, start) > 0;
        } else if (inside && line.startsWith("Rss:")) {
          total += kilobytes(line) * 1024;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + SMAPS, e);
    }
    return total;
  }

  private static boolean isHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (Character.digit(s.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  private static long kilobytes(String line) {
    String value = line.substring("Rss:".length()).trim();
    int space = value.indexOf(' ');
    return Long.parseLong(space < 0 ? value : value.substring(0, space));
  }
}
