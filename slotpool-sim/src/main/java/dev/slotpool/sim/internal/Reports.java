package dev.slotpool.sim.internal;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes simulation results as an aligned table, CSV or JSON. Stateless. */
public final class Reports {
  /** The CSV header; the column names are a stable interface for scripts. */
  public static final String CSV_HEADER =
      "policy,max_warm,keep_resident,slots,keys,ops,allocs,hit_rate,cold_allocs,evictions,failures,"
          + "mean_unused_warm,peak_unused_warm,mean_resident_bytes,peak_resident_bytes,"
          + "mean_cost_us";

  private Reports() {}

  /** Writes a header row and one row per result; a policy without a threshold has none. */
  public static void csv(List<SimResult> results, PrintWriter out) {
    out.println(CSV_HEADER);
    for (SimResult r : results) {
      out.println(
          String.join(
              ",",
              r.policy(),
              r.maxWarm() < 0 ? "" : Integer.toString(r.maxWarm()),
              Long.toString(r.keepResident()),
              Integer.toString(r.slots()),
              Integer.toString(r.keys()),
              Long.toString(r.ops()),
              Long.toString(r.allocs()),
              fixed(r.hitRate(), 6),
              Long.toString(r.coldAllocs()),
              Long.toString(r.evictions()),
              Long.toString(r.failures()),
              fixed(r.meanUnusedWarm(), 3),
              Long.toString(r.peakUnusedWarm()),
              fixed(r.meanResidentBytes(), 0),
              Long.toString(r.peakResidentBytes()),
              fixed(r.meanCostMicros(), 3)));
    }
    out.flush();
  }

  /** Writes a JSON array with one object per result, keys as in the CSV header. */
  public static void json(List<SimResult> results, PrintWriter out) {
    out.println("[");
    for (int i = 0; i < results.size(); i++) {
      SimResult r = results.get(i);
      out.print("  {\"policy\": \"" + r.policy() + "\"");
      out.print(", \"max_warm\": " + (r.maxWarm() < 0 ? "null" : r.maxWarm()));
      out.print(", \"keep_resident\": " + r.keepResident());
      out.print(", \"slots\": " + r.slots() + ", \"keys\": " + r.keys());
      out.print(", \"ops\": " + r.ops() + ", \"allocs\": " + r.allocs());
      out.print(", \"hit_rate\": " + fixed(r.hitRate(), 6));
      out.print(", \"cold_allocs\": " + r.coldAllocs() + ", \"evictions\": " + r.evictions());
      out.print(", \"failures\": " + r.failures());
      out.print(", \"mean_unused_warm\": " + fixed(r.meanUnusedWarm(), 3));
      out.print(", \"peak_unused_warm\": " + r.peakUnusedWarm());
      out.print(", \"mean_resident_bytes\": " + fixed(r.meanResidentBytes(), 0));
      out.print(", \"peak_resident_bytes\": " + r.peakResidentBytes());
      out.print(", \"mean_cost_us\": " + fixed(r.meanCostMicros(), 3) + "}");
      out.println(i + 1 < results.size() ? "," : "");
    }
    out.println("]");
    out.flush();
  }

  /** Writes an aligned table for people, one row per result. */
  public static void table(List<SimResult> results, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "policy",
          "max-warm",
          "hit rate",
          "cold",
          "evictions",
          "failed",
          "warm mean",
          "warm peak",
          "resident mean",
          "resident peak",
          "cost/alloc"
        });
    for (SimResult r : results) {
      rows.add(
          new String[] {
            r.policy(),
            r.maxWarm() < 0 ? "-" : Integer.toString(r.maxWarm()),
            String.format(Locale.ROOT, "%.2f%%", 100 * r.hitRate()),
            grouped(r.coldAllocs()),
            grouped(r.evictions()),
            grouped(r.failures()),
            fixed(r.meanUnusedWarm(), 1),
            grouped(r.peakUnusedWarm()),
            Sizes.format(r.meanResidentBytes()),
            Sizes.format(r.peakResidentBytes()),
            String.format(Locale.ROOT, "%.1f us", r.meanCostMicros())
          });
    }
    aligned(rows, out, 1);
  }

  /**
   * Prints rows in columns: the first {@code leftColumns} left-aligned, the others right-aligned.
   */
  public static void aligned(List<String[]> rows, PrintWriter out, int leftColumns) {
    int columns = rows.get(0).length;
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int c = 0; c < columns; c++) {
        width[c] = Math.max(width[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        if (c > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(width[c] - row[c].length());
        line.append(c < leftColumns ? row[c] + pad : pad + row[c]);
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }

  /** A number with {@code digits} decimals and a dot, whatever the locale. */
  public static String fixed(double value, int digits) {
    return String.format(Locale.ROOT, "%." + digits + "f", value);
  }

  /** A count with thousands separators: {@code 1,234,567}. */
  public static String grouped(long value) {
    return String.format(Locale.ROOT, "%,d", value);
  }
}
