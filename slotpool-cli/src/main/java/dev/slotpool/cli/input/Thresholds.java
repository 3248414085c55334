package dev.slotpool.cli.input;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Parses {@code --max-warm} lists: {@code 4}, {@code 0,1,2,8}, {@code 0..16}, {@code auto}. */
public final class Thresholds {
  private static final int MAX_RANGE = 4096;

  private Thresholds() {}

  /**
   * Parses a threshold list into ascending distinct values.
   *
   * <p>{@code auto} is 0, then powers of two below {@code slots}, then {@code slots}: a sweep from
   * "never keep a warm slot over a cold one" to "use every cold slot first".
   *
   * @throws BadInputException if the list does not parse or has a negative value
   */
  public static List<Integer> parse(String option, String text, int slots) {
    TreeSet<Integer> values = new TreeSet<>();
    String expected =
        " (expected: integers >= 0 separated by commas, ranges such as 0..16, or auto)";
    for (String raw : text.split(",", -1)) {
      String part = raw.strip();
      if (part.equals("auto")) {
        values.add(0);
        for (int v = 1; v < slots; v *= 2) {
          values.add(v);
        }
        values.add(slots);
        continue;
      }
      int dots = part.indexOf("..");
      try {
        if (dots >= 0) {
          int from = Integer.parseInt(part.substring(0, dots).strip());
          int to = Integer.parseInt(part.substring(dots + 2).strip());
          if (from < 0 || to < from || to - from >= MAX_RANGE) {
            throw new BadInputException(
                option
                    + ": '"
                    + part
                    + "' is not a range (expected: A..B with 0 <= A <= B and at most "
                    + MAX_RANGE
                    + " values)");
          }
          for (int v = from; v <= to; v++) {
            values.add(v);
          }
        } else {
          int v = Integer.parseInt(part);
          if (v < 0) {
            throw new BadInputException(option + ": " + v + " is negative" + expected);
          }
          values.add(v);
        }
      } catch (NumberFormatException e) {
        throw new BadInputException(option + ": '" + text + "' is not a threshold list" + expected);
      }
    }
    return new ArrayList<>(values);
  }
}
