package dev.slotpool.cli.trace;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.model.EventHeap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses the two trace formats of {@link Trace}: alloc/free events, or a request log with a header.
 * Stateless.
 */
final class TraceParser {
  /*
   * Implementation notes. The first data line decides the format: a first field of alloc or free
   * means events, anything else is a request log's header. A request log is read into primitive
   * arrays (start, end, key id, bytes), ordered by start, and merged with an EventHeap of ends:
   * before each request's alloc, every request that ended at or before its start is freed.
   */

  private TraceParser() {}

  static Trace parse(String name, BoundedLines lines, Trace.Columns columns) throws IOException {
    for (String line = lines.next(name); line != null; line = lines.next(name)) {
      String data = stripComment(line);
      if (data.isEmpty()) {
        continue;
      }
      String first = data.split(",", 2)[0].strip();
      if (first.equals("alloc") || first.equals("free")) {
        return events(name, lines, data);
      }
      return requestLog(name, lines, data, columns);
    }
    throw new BadInputException(name + ": no alloc lines (expected: at least one alloc,KEY)");
  }

  private static String stripComment(String line) {
    int hash = line.indexOf('#');
    return (hash < 0 ? line : line.substring(0, hash)).strip();
  }

  private static String[] fields(String data) {
    String[] fields = data.split(",", -1);
    for (int i = 0; i < fields.length; i++) {
      String f = fields[i].strip();
      if (f.length() >= 2 && f.startsWith("\"") && f.endsWith("\"")) {
        f = f.substring(1, f.length() - 1).strip();
      }
      fields[i] = f;
    }
    return fields;
  }

  private static Trace events(String name, BoundedLines lines, String firstData)
      throws IOException {
    int[] event = new int[1024];
    long[] bytes = new long[1024];
    boolean[] freed = new boolean[1024];
    int count = 0;
    int allocs = 0;
    Map<String, Integer> keyIds = Trace.newKeyIds();
    String data = firstData;
    while (true) {
      if (!data.isEmpty()) {
        String where = name + ":" + lines.number() + ": ";
        String[] fields = fields(data);
        if (count == Trace.MAX_EVENTS) {
          throw new BadInputException(
              where + "more than " + Trace.MAX_EVENTS + " events (expected: a shorter trace)");
        }
        event = Trace.grow(event, count + 1);
        bytes = Trace.grow(bytes, count + 1);
        switch (fields[0]) {
          case "alloc" -> {
            if (fields.length != 2 || fields[1].isEmpty()) {
              throw new BadInputException(
                  where + "'" + data + "' (expected: alloc,KEY with a non-empty KEY)");
            }
            event[count] = Trace.keyId(keyIds, fields[1]);
            bytes[count] = -1;
            if (allocs == freed.length) {
              freed = Arrays.copyOf(freed, allocs * 2);
            }
            allocs++;
          }
          case "free" -> {
            if (fields.length < 2 || fields.length > 3) {
              throw new BadInputException(where + "'" + data + "' (expected: free,N[,BYTES])");
            }
            long n = count(fields[1], where, "N", Long.MAX_VALUE);
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
            bytes[count] =
                fields.length == 3 ? count(fields[2], where, "BYTES", Trace.MAX_BYTES) : -1;
          }
          default ->
              throw new BadInputException(
                  where + "'" + data + "' (expected: alloc,KEY or free,N[,BYTES])");
        }
        count++;
      }
      String line = lines.next(name);
      if (line == null) {
        break;
      }
      data = stripComment(line);
    }
    if (allocs == 0) {
      throw new BadInputException(name + ": no alloc lines (expected: at least one alloc,KEY)");
    }
    return Trace.of(name, Arrays.copyOf(event, count), Arrays.copyOf(bytes, count), keyIds, allocs);
  }

  private static Trace requestLog(
      String name, BoundedLines lines, String header, Trace.Columns columns) throws IOException {
    String where = name + ":" + lines.number() + ": ";
    List<String> names = new ArrayList<>();
    for (String f : fields(header)) {
      names.add(f.toLowerCase(Locale.ROOT));
    }
    int timeAt = column(names, columns.time(), "--time-column", where, header);
    int keyAt = column(names, columns.key(), "--key-column", where, header);
    int durationAt = column(names, columns.duration(), "--duration-column", where, header);
    int residentAt = -1;
    if (columns.resident() != null) {
      residentAt = names.indexOf(columns.resident().toLowerCase(Locale.ROOT));
      if (residentAt < 0 && !columns.resident().equals(Trace.Columns.DEFAULT.resident())) {
        column(names, columns.resident(), "--resident-column", where, header); // throws
      }
    }
    double[] start = new double[1024];
    double[] end = new double[1024];
    int[] key = new int[1024];
    long[] written = new long[1024];
    int n = 0;
    Map<String, Integer> keyIds = Trace.newKeyIds();
    for (String line = lines.next(name); line != null; line = lines.next(name)) {
      String data = stripComment(line);
      if (data.isEmpty()) {
        continue;
      }
      where = name + ":" + lines.number() + ": ";
      String[] fields = fields(data);
      if (fields.length != names.size()) {
        throw new BadInputException(
            where
                + fields.length
                + " fields in '"
                + data
                + "' (expected: "
                + names.size()
                + ", as in the header)");
      }
      if (n == Trace.MAX_EVENTS / 2) {
        throw new BadInputException(
            where + "more than " + n + " requests (expected: a shorter request log)");
      }
      if (n == start.length) {
        start = Arrays.copyOf(start, n * 2);
        end = Arrays.copyOf(end, n * 2);
        key = Arrays.copyOf(key, n * 2);
        written = Arrays.copyOf(written, n * 2);
      }
      double t = number(fields[timeAt], where, columns.time());
      double d = number(fields[durationAt], where, columns.duration());
      if (fields[keyAt].isEmpty()) {
        throw new BadInputException(where + "empty " + columns.key() + " (expected: a key)");
      }
      start[n] = t;
      end[n] = t + d;
      key[n] = Trace.keyId(keyIds, fields[keyAt]);
      written[n] =
          residentAt < 0
              ? -1
              : count(fields[residentAt], where, columns.resident(), Trace.MAX_BYTES);
      n++;
    }
    if (n == 0) {
      throw new BadInputException(name + ": a header but no requests (expected: at least one)");
    }
    return merge(name, start, end, key, written, n, keyIds);
  }

  private static Trace merge(
      String name,
      double[] start,
      double[] end,
      int[] key,
      long[] written,
      int n,
      Map<String, Integer> keyIds) {
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(start[a], start[b])); // stable: log order on ties
    int[] event = new int[2 * n];
    long[] bytes = new long[2 * n];
    int count = 0;
    EventHeap ends = new EventHeap(n);
    for (int alloc = 0; alloc < n; alloc++) {
      int r = order[alloc];
      while (ends.size() > 0 && ends.minTime() <= start[r]) {
        int done = ends.minId();
        ends.pop();
        event[count] = -done - 1;
        bytes[count++] = written[order[done]];
      }
      event[count] = key[r];
      bytes[count++] = -1;
      ends.push(end[r], alloc);
    }
    while (ends.size() > 0) {
      int done = ends.minId();
      ends.pop();
      event[count] = -done - 1;
      bytes[count++] = written[order[done]];
    }
    return Trace.of(name, event, bytes, keyIds, n);
  }

  private static int column(
      List<String> names, String wanted, String option, String where, String header) {
    int at = names.indexOf(wanted.toLowerCase(Locale.ROOT));
    if (at < 0) {
      throw new BadInputException(
          where
              + "no column '"
              + wanted
              + "' in the header '"
              + header
              + "' (expected: alloc,KEY / free,N lines, or a header naming the column; "
              + option
              + " NAME picks another)");
    }
    return at;
  }

  private static double number(String field, String where, String column) {
    try {
      double value = Double.parseDouble(field);
      if (value >= 0 && value < 1e300) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadInputException(
        where + column + " '" + field + "' is not a number (expected: a number >= 0)");
  }

  private static long count(String field, String where, String what, long max) {
    try {
      long value = Long.parseLong(field);
      if (value >= 0 && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadInputException(
        where
            + what
            + " '"
            + field
            + "' is not a count (expected: an integer "
            + (max == Long.MAX_VALUE ? ">= 0" : "0 <= " + what + " <= " + max)
            + ")");
  }
}
