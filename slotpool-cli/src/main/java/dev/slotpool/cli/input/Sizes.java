package dev.slotpool.cli.input;

import java.util.Locale;

/** Byte sizes as people write them: {@code 65536}, {@code 64KiB}, {@code 64k}, {@code 1.5GiB}. */
public final class Sizes {
  private Sizes() {}

  /**
   * Parses a size in bytes; units K, M, G, T (with optional {@code i}, {@code B}) are powers of
   * 1024.
   *
   * @param option the option the text came from, for the message
   * @throws BadInputException if the text is not a size or is negative
   */
  public static long parse(String option, String text) {
    String s = text.strip().toLowerCase(Locale.ROOT).replace("_", "");
    long unit = 1;
    String number = s;
    String[] suffixes = {"k", "m", "g", "t"};
    for (int i = suffixes.length - 1; i >= 0; i--) {
      for (String form : new String[] {suffixes[i] + "ib", suffixes[i] + "b", suffixes[i]}) {
        if (s.endsWith(form) && unit == 1) {
          unit = 1L << (10 * (i + 1));
          number = s.substring(0, s.length() - form.length()).strip();
        }
      }
    }
    if (unit == 1 && s.endsWith("b")) {
      number = s.substring(0, s.length() - 1).strip();
    }
    try {
      double value = Double.parseDouble(number);
      if (value >= 0 && value * unit < 0x1p62 && !number.isEmpty()) {
        return Math.round(value * unit);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadInputException(
        option + ": '" + text + "' is not a size (expected: bytes >= 0, such as 65536 or 64KiB)");
  }

  /** Formats bytes with a binary unit and up to one decimal: {@code 1.5 MiB}. */
  public static String format(double bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    double value = bytes;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    if (unit == 0) {
      return String.format(Locale.ROOT, "%.0f B", value);
    }
    return value == Math.rint(value)
        ? String.format(Locale.ROOT, "%.0f %s", value, units[unit])
        : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
