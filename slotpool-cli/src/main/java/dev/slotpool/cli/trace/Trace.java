package dev.slotpool.cli.trace;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.InputFiles;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A recorded sequence of allocations and frees, replayed in order instead of a step model.
 *
 * <p>Two CSV formats are read; in both, {@code #} starts a comment anywhere on a line, blank lines
 * are ignored, fields may be surrounded by spaces, a file ending in {@code .gz} is gunzipped and
 * {@code -} is standard input. Lines are at most {@value #MAX_LINE} characters.
 *
 * <ul>
 *   <li>Events, one per line:
 *       <pre>
 * alloc,KEY            allocate a slot for KEY (any text without a comma or #)
 * free,N               free the slot that the N-th alloc line got, counting alloc lines from 0
 * free,N,BYTES         the same; the request wrote BYTES in its slot
 * </pre>
 *   <li>A request log: a header naming the columns, then one request per line with its start time,
 *       key (the module) and duration in one unit (seconds, milliseconds: any), and optionally the
 *       bytes it wrote. {@link Columns} says which column is which. Requests become an alloc at
 *       their start and a free at their end, in time order (frees first at equal times).
 * </ul>
 *
 * <p>A free without BYTES means the run's {@code --bytes-per-slot}. A free of an alloc that found
 * no slot during a replay does nothing. Immutable once parsed.
 */
public final class Trace {
  /*
   * Implementation notes.
   *
   * Events are packed in primitive arrays so replay allocates nothing: event[i] >= 0 is an alloc
   * of key id event[i] (ids given in order of first appearance), event[i] < 0 is a free of the
   * alloc numbered -event[i] - 1, with bytes[i] its written bytes or -1 for the default.
   * Invariant: every free names an earlier alloc that no earlier free named.
   */

  /** The format, for help texts. */
  public static final String FORMAT =
      "alloc,KEY | free,N[,BYTES] lines, or a request log with a header";

  /** The longest line read. */
  public static final int MAX_LINE = 65_536;

  /** The most bytes one free may say were written (1 TiB). */
  public static final long MAX_BYTES = 1L << 40;

  /** The most events a trace may have. */
  public static final int MAX_EVENTS = 1 << 28;

  /**
   * Which columns of a request log hold what; names are matched without regard to case.
   *
   * @param time the start time column
   * @param key the key (module) column
   * @param duration the duration column, in the unit of the start times
   * @param resident the bytes-written column, or null for none; the default name is optional
   */
  public record Columns(String time, String key, String duration, String resident) {
    /** The default names: timestamp, key, duration and (if present) resident_bytes. */
    public static final Columns DEFAULT =
        new Columns("timestamp", "key", "duration", "resident_bytes");
  }

  private final String name;
  private final int[] event;
  private final long[] bytes;
  private final int keys;
  private final int allocs;
  private final long maxBytes;

  private Trace(String name, int[] event, long[] bytes, int keys, int allocs) {
    this.name = name;
    this.event = event;
    this.bytes = bytes;
    this.keys = keys;
    this.allocs = allocs;
    long max = 0;
    for (long b : bytes) {
      max = Math.max(max, b);
    }
    this.maxBytes = max;
  }

  /**
   * Reads and checks a trace: a file, a {@code .gz} file or {@code -} for standard input.
   *
   * @throws BadInputException if the input cannot be read or a line is malformed; the message names
   *     the file and line and says what was expected
   */
  public static Trace read(String file, Columns columns, InputStream stdin) {
    boolean isStdin = file.equals("-");
    String name = isStdin ? "<stdin>" : file;
    if (!isStdin && Files.notExists(Path.of(file))) {
      throw new BadInputException(file + ": no such trace file");
    }
    try (InputStream raw = isStdin ? stdin : InputFiles.openStream("trace", Path.of(file));
        InputStream in =
            file.endsWith(".gz")
                ? new GZIPInputStream(new BufferedInputStream(raw), 65_536)
                : raw) {
      var lines =
          new BoundedLines(
              new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()), MAX_LINE);
      return TraceParser.parse(name, lines, columns);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such trace file");
    } catch (IOException e) {
      throw new BadInputException(name + ": cannot read trace (" + e.getMessage() + ")");
    }
  }

  /** Parses trace text (for tests). */
  static Trace parse(String name, String text) {
    try {
      return TraceParser.parse(
          name, new BoundedLines(new java.io.StringReader(text), MAX_LINE), Columns.DEFAULT);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Builds a trace from packed events (see the notes above). */
  static Trace of(String name, int[] event, long[] bytes, Map<String, Integer> keyIds, int allocs) {
    return new Trace(name, event, bytes, keyIds.size(), allocs);
  }

  /** Gives keys ids in order of first appearance. */
  static int keyId(Map<String, Integer> keyIds, String key) {
    Integer id = keyIds.get(key);
    if (id == null) {
      id = keyIds.size();
      keyIds.put(key, id);
    }
    return id;
  }

  static Map<String, Integer> newKeyIds() {
    return new HashMap<>();
  }

  static int[] grow(int[] array, int needed) {
    return needed <= array.length
        ? array
        : Arrays.copyOf(array, Math.max(needed, array.length * 2));
  }

  static long[] grow(long[] array, int needed) {
    return needed <= array.length
        ? array
        : Arrays.copyOf(array, Math.max(needed, array.length * 2));
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

  /** The most bytes any free says were written, 0 if none says. */
  public long maxBytes() {
    return maxBytes;
  }

  /** Whether event {@code i} is an alloc. */
  public boolean isAlloc(int i) {
    return event[i] >= 0;
  }

  /** The key id of alloc event {@code i}. */
  public int key(int i) {
    return event[i];
  }

  /** The alloc number that free event {@code i} releases. */
  public int freedAlloc(int i) {
    return -event[i] - 1;
  }

  /** The written bytes of free event {@code i}, or -1 for the run's default. */
  public long freedBytes(int i) {
    return bytes[i];
  }
}
