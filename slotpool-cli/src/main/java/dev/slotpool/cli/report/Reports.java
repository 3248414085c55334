package dev.slotpool.cli.report;

import dev.slotpool.cli.model.SimResult;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * Writes simulation results as CSV or JSON (the table is {@link Sweep}'s), and the cells and
 * columns tables share. Stateless.
 */
public final class Reports {
  /** The CSV header; the column names are a stable interface for scripts. */
  public static final String CSV_HEADER =
      "policy,max_warm,reset,keep_resident,resident_budget,slots,hosts,keys,ops,allocs,hit_rate,"
          + "cold_allocs,evictions,failures,failure_rate,mean_unused_warm,peak_unused_warm,"
          + "mean_resident_bytes,peak_resident_bytes,decommits,mean_cost_us,mean_in_flight,"
          + "peak_in_flight,host_imbalance,peak_resident_per_host,chosen";

  private Reports() {}

  /**
   * Writes the provenance as {@code #} comment lines, a header row and one row per result; a policy
   * without a threshold has an empty max_warm, and {@code chosen} is true for the best row, or each
   * of the best rows in a tie.
   */
  public static void csv(
      List<SimResult> results, List<SimResult> chosen, Provenance provenance, PrintWriter out) {
    for (String line : provenance.lines()) {
      out.println("# " + line);
    }
    out.println(CSV_HEADER);
    for (SimResult r : results) {
      out.println(String.join(",", values(r, isChosen(r, chosen))));
    }
    out.flush();
  }

  private static boolean isChosen(SimResult r, List<SimResult> chosen) {
    for (SimResult c : chosen) {
      if (c == r) {
        return true;
      }
    }
    return false;
  }

  private static List<String> values(SimResult r, boolean chosen) {
    return List.of(
        r.policy(),
        r.maxWarm() < 0 ? "" : Integer.toString(r.maxWarm()),
        r.memory().label(),
        r.keepResident() < 0 ? "" : Long.toString(r.keepResident()),
        r.residentBudget() < 0 ? "" : Long.toString(r.residentBudget()),
        Integer.toString(r.slots()),
        Integer.toString(r.fleet().hosts()),
        Integer.toString(r.keys()),
        Long.toString(r.ops()),
        Long.toString(r.allocs()),
        fixed(r.hitRate(), 6),
        Long.toString(r.coldAllocs()),
        Long.toString(r.evictions()),
        Long.toString(r.failures()),
        fixed(r.failureRate(), 6),
        fixed(r.meanUnusedWarm(), 3),
        Long.toString(r.peakUnusedWarm()),
        fixed(r.meanResidentBytes(), 0),
        Long.toString(r.peakResidentBytes()),
        Long.toString(r.decommits()),
        fixed(r.meanCostMicros(), 3),
        r.meanInFlight() < 0 ? "" : fixed(r.meanInFlight(), 2),
        Long.toString(r.peakInFlight()),
        fixed(r.fleet().imbalance(), 3),
        Long.toString(r.fleet().peakResidentPerHost()),
        Boolean.toString(chosen));
  }

  /**
   * Writes a JSON object: {@code provenance}, then {@code results}, an array with one object per
   * result, keys as in the CSV header (numbers as numbers, empty fields as null).
   */
  public static void json(
      List<SimResult> results, List<SimResult> chosen, Provenance provenance, PrintWriter out) {
    String[] keys = CSV_HEADER.split(",");
    out.println("{\"provenance\": " + provenance.json() + ",");
    out.println(" \"results\": [");
    for (int i = 0; i < results.size(); i++) {
      SimResult r = results.get(i);
      List<String> values = values(r, isChosen(r, chosen));
      StringBuilder line = new StringBuilder("  {");
      for (int k = 0; k < keys.length; k++) {
        String v = values.get(k);
        line.append(k == 0 ? "" : ", ").append('"').append(keys[k]).append("\": ");
        if (v.isEmpty()) {
          line.append("null");
        } else if (k == 0 || k == 2) {
          line.append(jsonString(v));
        } else {
          line.append(v);
        }
      }
      out.println(line.append('}').append(i + 1 < results.size() ? "," : ""));
    }
    out.println(" ]}");
    out.flush();
  }

  /** A JSON string literal. */
  public static String jsonString(String text) {
    StringBuilder s = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        default -> {
          if (c < 0x20) {
            s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            s.append(c);
          }
        }
      }
    }
    return s.append('"').toString();
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
