package dev.slotpool.sim.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A recorded sequence of allocations and frees, replayed in order instead of the random step model.
 *
 * <p>The file is CSV, one event per line; blank lines and lines starting with {@code #} are
 * ignored, and fields may be surrounded by spaces:
 *
 * <pre>
 * alloc,KEY            allocate a slot for KEY (any text without a comma: a module name, a hash)
 * free,N               free the slot that the N-th alloc line got, counting alloc lines from 0
 * free,N,BYTES         the same, with BYTES staying resident in the freed slot
 * </pre>
 *
 * <p>A free without BYTES keeps the run's default ({@code --bytes-per-slot} capped by {@code
 * --keep-resident}). A free of an alloc that found no slot during a replay does nothing. Immutable
 * once parsed.
 */
public final class Trace {
  /*
   * Implementation notes.
   *
   * Events are packed in primitive arrays so replay allocates nothing: event[i] >= 0 is an alloc
   * of key id event[i] (ids given in order of first appearance), event[i] < 0 is a free of the
   * alloc numbered -event[i] - 1, with bytes[i] its resident bytes or -1 for the default.
   * Invariant: every free names an earlier alloc that no earlier free named.
   */

  /** The format, for help texts. */
  public static final String FORMAT = "alloc,KEY | free,N[,BYTES] (N counts alloc lines from 0)";

  private final String name;
  private final int[] event;
  private final long[] bytes;
  private final int keys;
  private final int allocs;

  private Trace(String name, int[] event, long[] bytes, int keys, int allocs) {
    this.name = name;
    this.event = event;
    this.bytes = bytes;
    this.keys = keys;
    this.allocs = allocs;
  }

  /**
   * Reads and checks a trace file.
   *
   * @throws BadInputException if the file cannot be read or a line is malformed; the message names
   *     the file and line and says what was expected
   */
  public static Trace read(Path file) {
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parse(file.toString(), reader);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such trace file");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read trace (" + e.getMessage() + ")");
    }
  }

  static Trace parse(String name, BufferedReader reader) throws IOException {
    int[] event = new int[1024];
    long[] bytes = new long[1024];
    int count = 0;
    Map<String, Integer> keyIds = new HashMap<>();
    boolean[] freed = new boolean[1024];
    int allocs = 0;
    int lineNumber = 0;
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String where = name + ":" + lineNumber + ": ";
      String[] fields = trimmed.split(",", -1);
      for (int i = 0; i < fields.length; i++) {
        fields[i] = fields[i].strip();
      }
      if (count == event.length) {
        event = Arrays.copyOf(event, count * 2);
        bytes = Arrays.copyOf(bytes, count * 2);
      }
      switch (fields[0]) {
        case "alloc" -> {
          if (fields.length != 2 || fields[1].isEmpty()) {
            throw new BadInputException(
                where + "'" + trimmed + "' (expected: alloc,KEY with a non-empty KEY)");
          }
          Integer id = keyIds.get(fields[1]);
          if (id == null) {
            id = keyIds.size();
            keyIds.put(fields[1], id);
          }
          event[count] = id;
          bytes[count] = -1;
          if (allocs == freed.length) {
            freed = Arrays.copyOf(freed, allocs * 2);
          }
          allocs++;
        }
        case "free" -> {
          if (fields.length < 2 || fields.length > 3) {
            throw new BadInputException(where + "'" + trimmed + "' (expected: free,N[,BYTES])");
          }
          long n = parseCount(fields[1], where, "N");
          if (n >= allocs) {
            throw new BadInputException(
                where
                    + "free,"
                    + n
                    + " names alloc line "
                    + n
                    + " but only "
                    + allocs
                    + " alloc lines come before it (expected: N < "
                    + allocs
                    + ", counting alloc lines from 0)");
          }
          if (freed[(int) n]) {
            throw new BadInputException(
                where
                    + "free,"
                    + n
                    + " frees alloc "
                    + n
                    + " twice (expected: one free per alloc)");
          }
          freed[(int) n] = true;
          event[count] = (int) (-n - 1);
          bytes[count] = fields.length == 3 ? parseCount(fields[2], where, "BYTES") : -1;
        }
        default ->
            throw new BadInputException(
                where + "'" + trimmed + "' (expected: alloc,KEY or free,N[,BYTES])");
      }
      count++;
    }
    if (allocs == 0) {
      throw new BadInputException(name + ": no alloc lines (expected: at least one alloc,KEY)");
    }
    return new Trace(
        name, Arrays.copyOf(event, count), Arrays.copyOf(bytes, count), keyIds.size(), allocs);
  }

  private static long parseCount(String field, String where, String what) {
    try {
      long value = Long.parseLong(field);
      if (value >= 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadInputException(
        where + what + " '" + field + "' is not a count (expected: an integer >= 0)");
  }

  /** The file this trace was read from. */
  public String name() {
    return name;
  }

  /** The number of events. */
  public int events() {
    return event.length;
  }

  /** The number of distinct keys. */
  public int keys() {
    return keys;
  }

  /** The number of alloc events. */
  public int allocs() {
    return allocs;
  }

  /** Whether event {@code i} is an alloc. */
  boolean isAlloc(int i) {
    return event[i] >= 0;
  }

  /** The key id of alloc event {@code i}. */
  int key(int i) {
    return event[i];
  }

  /** The alloc number that free event {@code i} releases. */
  int freedAlloc(int i) {
    return -event[i] - 1;
  }

  /** The resident bytes of free event {@code i}, or -1 for the run's default. */
  long freedBytes(int i) {
    return bytes[i];
  }
}
