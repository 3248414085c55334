package dev.slotpool.cli.trace;

import dev.slotpool.cli.input.BadInputException;
import java.io.IOException;
import java.io.Reader;

/**
 * Reads lines of at most a given length, so that a file without line breaks (such as {@code
 * /dev/zero}) fails at once instead of filling the heap. Lines end at {@code \n}, {@code \r\n} or
 * the end of input. Not thread-safe.
 */
final class BoundedLines {
  private final Reader reader;
  private final int maxLength;
  private final char[] line;
  private final char[] buffer = new char[8192];
  private int position;
  private int limit;
  private int number;

  BoundedLines(Reader reader, int maxLength) {
    this.reader = reader;
    this.maxLength = maxLength;
    this.line = new char[maxLength];
  }

  /** The number of the line last returned, from 1. */
  int number() {
    return number;
  }

  /**
   * The next line without its terminator, or null at the end of input.
   *
   * @throws BadInputException if a line is longer than the maximum; the message starts with {@code
   *     name:N:}
   */
  String next(String name) throws IOException {
    int length = 0;
    boolean any = false;
    while (true) {
      if (position == limit) {
        limit = reader.read(buffer, 0, buffer.length);
        position = 0;
        if (limit <= 0) {
          limit = 0;
          if (!any) {
            return null;
          }
          break;
        }
      }
      any = true;
      char c = buffer[position++];
      if (c == '\n') {
        break;
      }
      if (length == maxLength) {
        throw new BadInputException(
            name
                + ":"
                + (number + 1)
                + ": line longer than "
                + maxLength
                + " characters (expected: a text file of short lines)");
      }
      line[length++] = c;
    }
    number++;
    if (length > 0 && line[length - 1] == '\r') {
      length--;
    }
    return new String(line, 0, length);
  }
}
