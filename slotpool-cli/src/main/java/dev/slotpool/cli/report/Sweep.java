package dev.slotpool.cli.report;

import dev.slotpool.cli.input.Guards;
import dev.slotpool.cli.input.Sizes;
import dev.slotpool.cli.model.SimResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The results of a sweep over policies and knobs (max-warm, the resident budget or keep-resident,
 * the slot count) as a person reads them: a knob that changed nothing is said so in one line and
 * its rows are shown once, and the best setting is named with how it won, ties included.
 *
 * <p>Immutable; thread-safe.
 */
public final class Sweep {
  /*
   * Implementation notes
   *
   * A knob "changed nothing" when, among results that differ only in that knob, every outcome
   * (hits, cold allocations, evictions, failures, decommits, resident bytes, cost) is identical,
   * and at least two values were tried. Such a knob is collapsed: one row per group, the knob's
   * column showing the range tried. "Best" then compares the rows shown, so a tie is a tie
   * between settings that differ in something that mattered.
   */

  /** The knobs a sweep may vary, besides the policy. */
  public enum Knob {
    /** {@code --slots}. */
    SLOTS,
    /** {@code --max-warm} (policies with a threshold only). */
    MAX_WARM,
    /** {@code --resident-budget}, or {@code --keep-resident} with the fixed reset. */
    MEMORY
  }

  /** One row shown: a result and, for collapsed knobs, the range of values it stands for. */
  public record Row(SimResult result, Map<Knob, String> ranges) {}

  /** The best row(s) and why: tied rows are all listed. */
  public record Best(List<Row> rows, String decidedBy) {}

  private final List<SimResult> results;
  private final Map<Knob, Boolean> swept = new LinkedHashMap<>();
  private final Map<Knob, Boolean> inert = new LinkedHashMap<>();
  private final List<Row> rows;

  /** Analyses {@code results}, in the order they are to be shown. */
  public Sweep(List<SimResult> results) {
    this.results = List.copyOf(results);
    for (Knob knob : Knob.values()) {
      swept.put(knob, distinct(this.results, knob) > 1);
      inert.put(knob, swept.get(knob) && changedNothing(this.results, knob));
    }
    this.rows = collapse();
  }

  /** Every result, collapsed or not. */
  public List<SimResult> results() {
    return results;
  }

  /** The rows shown. */
  public List<Row> rows() {
    return rows;
  }

  /** Whether more than one value of {@code knob} was tried with everything else the same. */
  public boolean swept(Knob knob) {
    return swept.get(knob);
  }

  /** Whether {@code knob} was swept and changed nothing. */
  public boolean changedNothing(Knob knob) {
    return inert.get(knob);
  }

  /** The most values of {@code knob} among results that differ only in it. */
  private static int distinct(List<SimResult> results, Knob knob) {
    Map<List<Object>, TreeSet<Long>> groups = new LinkedHashMap<>();
    int most = 0;
    for (SimResult r : results) {
      if (knob != Knob.MAX_WARM || r.maxWarm() >= 0) {
        TreeSet<Long> values = groups.computeIfAbsent(keyWithout(r, knob), k -> new TreeSet<>());
        values.add(value(r, knob));
        most = Math.max(most, values.size());
      }
    }
    return most;
  }

  private static long value(SimResult r, Knob knob) {
    return switch (knob) {
      case SLOTS -> r.slots();
      case MAX_WARM -> r.maxWarm();
      case MEMORY -> r.memory().bytes();
    };
  }

  /** The result's settings without {@code knob}: results differing only in it share this key. */
  private static List<Object> keyWithout(SimResult r, Knob knob) {
    List<Object> key = new ArrayList<>();
    key.add(r.policy());
    key.add(r.memory().adaptive());
    for (Knob k : Knob.values()) {
      key.add(k == knob ? null : value(r, k));
    }
    return key;
  }

  private static List<Object> outcome(SimResult r) {
    return List.of(
        r.hits(),
        r.coldAllocs(),
        r.evictions(),
        r.failures(),
        r.decommits(),
        r.peakResidentBytes(),
        Math.round(r.meanResidentBytes()),
        Math.round(r.meanCostMicros() * 1000));
  }

  private static boolean changedNothing(List<SimResult> results, Knob knob) {
    Map<List<Object>, List<Object>> first = new LinkedHashMap<>();
    for (SimResult r : results) {
      List<Object> seen = first.putIfAbsent(keyWithout(r, knob), outcome(r));
      if (seen != null && !seen.equals(outcome(r))) {
        return false;
      }
    }
    return true;
  }

  private List<Row> collapse() {
    List<Row> shown = new ArrayList<>();
    Map<List<Object>, Map<Knob, TreeSet<Long>>> groups = new LinkedHashMap<>();
    Map<List<Object>, SimResult> firsts = new LinkedHashMap<>();
    for (SimResult r : results) {
      List<Object> key = new ArrayList<>();
      key.add(r.policy());
      key.add(r.memory().adaptive());
      for (Knob k : Knob.values()) {
        key.add(inert.get(k) ? null : value(r, k));
      }
      firsts.putIfAbsent(key, r);
      Map<Knob, TreeSet<Long>> values = groups.computeIfAbsent(key, k -> new LinkedHashMap<>());
      for (Knob k : Knob.values()) {
        values.computeIfAbsent(k, x -> new TreeSet<>()).add(value(r, k));
      }
    }
    for (var entry : firsts.entrySet()) {
      Map<Knob, String> ranges = new LinkedHashMap<>();
      Map<Knob, TreeSet<Long>> values = groups.get(entry.getKey());
      for (Knob k : Knob.values()) {
        TreeSet<Long> v = values.get(k);
        if (inert.get(k) && v.size() > 1) {
          ranges.put(k, format(k, v.first()) + ".." + format(k, v.last()));
        }
      }
      shown.add(new Row(entry.getValue(), ranges));
    }
    return shown;
  }

  private static String format(Knob knob, long value) {
    return knob == Knob.MEMORY ? Sizes.format(value) : Reports.grouped(value);
  }

  /** The value of {@code knob} shown in {@code row}'s column. */
  public static String shown(Row row, Knob knob) {
    String range = row.ranges().get(knob);
    if (range != null) {
      return range;
    }
    SimResult r = row.result();
    if (knob == Knob.MAX_WARM && r.maxWarm() < 0) {
      return "-";
    }
    return format(knob, value(r, knob));
  }

  /**
   * The best row: the highest hit rate (to a hundredth of a percent) among rows that failed at most
   * 1% of their allocations; among equal hit rates the lowest estimated cost (to a tenth of a
   * microsecond); rows equal in both are a tie and all returned. Null if every row failed too
   * often.
   */
  public Best best() {
    List<Row> top = new ArrayList<>();
    for (Row row : rows) {
      if (Guards.failedTooOften(row.result())) {
        continue;
      }
      int c = top.isEmpty() ? 1 : compare(row.result(), top.get(0).result());
      if (c > 0) {
        top.clear();
      }
      if (c >= 0) {
        top.add(row);
      }
    }
    if (top.isEmpty()) {
      return null;
    }
    int sameHitRate = 0;
    long hit = hitKey(top.get(0).result());
    for (Row row : rows) {
      if (!Guards.failedTooOften(row.result()) && hitKey(row.result()) == hit) {
        sameHitRate++;
      }
    }
    String decidedBy;
    if (top.size() > 1) {
      decidedBy = "tie";
    } else if (sameHitRate > 1) {
      decidedBy = "cost";
    } else {
      decidedBy = "hit rate";
    }
    return new Best(List.copyOf(top), decidedBy);
  }

  private static long hitKey(SimResult r) {
    return Math.round(r.hitRate() * 10_000);
  }

  private static int compare(SimResult a, SimResult b) {
    int c = Long.compare(hitKey(a), hitKey(b));
    if (c != 0) {
      return c;
    }
    return Long.compare(Math.round(b.meanCostMicros() * 10), Math.round(a.meanCostMicros() * 10));
  }

  /** A row's setting in words, such as {@code affinity, 1,500 slots, resident budget 256 MiB}. */
  public String describe(Row row) {
    SimResult r = row.result();
    StringBuilder s = new StringBuilder(r.policy());
    if (r.maxWarm() >= 0 && (swept(Knob.MAX_WARM) || row.ranges().containsKey(Knob.MAX_WARM))) {
      s.append(" max-warm ").append(shown(row, Knob.MAX_WARM));
    }
    if (swept(Knob.SLOTS)) {
      s.append(", ").append(shown(row, Knob.SLOTS)).append(" slots");
    }
    if (swept(Knob.MEMORY)) {
      s.append(r.memory().adaptive() ? ", resident budget " : ", keep-resident ")
          .append(shown(row, Knob.MEMORY));
    }
    return s.toString();
  }

  /** The table: the swept knobs' columns, then the outcomes. */
  public void table(PrintWriter out) {
    boolean fleet = results.get(0).fleet().hosts() > 1;
    boolean adaptive = results.get(0).memory().adaptive();
    List<String> header = new ArrayList<>(List.of("policy"));
    if (swept(Knob.SLOTS)) {
      header.add("slots");
    }
    header.add("max-warm");
    if (swept(Knob.MEMORY)) {
      header.add(adaptive ? "budget" : "keep-resident");
    }
    header.addAll(
        List.of(
            "hit rate",
            "cold",
            "evictions",
            "failed",
            "warm mean",
            "warm peak",
            "resident mean",
            "resident peak",
            "decommits",
            "cost/alloc"));
    if (fleet) {
      header.addAll(List.of("imbalance", "peak/host"));
    }
    List<String[]> lines = new ArrayList<>();
    lines.add(header.toArray(String[]::new));
    for (Row row : rows) {
      SimResult r = row.result();
      List<String> line = new ArrayList<>(List.of(r.policy()));
      if (swept(Knob.SLOTS)) {
        line.add(shown(row, Knob.SLOTS));
      }
      line.add(shown(row, Knob.MAX_WARM));
      if (swept(Knob.MEMORY)) {
        line.add(shown(row, Knob.MEMORY));
      }
      line.addAll(
          List.of(
              String.format(Locale.ROOT, "%.2f%%", 100 * r.hitRate()),
              Reports.grouped(r.coldAllocs()),
              Reports.grouped(r.evictions()),
              Reports.grouped(r.failures()),
              Reports.fixed(r.meanUnusedWarm(), 1),
              Reports.grouped(r.peakUnusedWarm()),
              Sizes.format(r.meanResidentBytes()),
              Sizes.format(r.peakResidentBytes()),
              Reports.grouped(r.decommits()),
              String.format(Locale.ROOT, "%.1f us", r.meanCostMicros())));
      if (fleet) {
        line.add(Reports.fixed(r.fleet().imbalance(), 2));
        line.add(Sizes.format(r.fleet().peakResidentPerHost()));
      }
      lines.add(line.toArray(String[]::new));
    }
    Reports.aligned(lines, out, 1);
  }

  /**
   * One line per knob that was swept and changed nothing, saying why, or an empty list.
   *
   * @param warmStart whether the pools started warm (the steady model without --cold-start)
   */
  public List<String> inertLines(boolean warmStart) {
    List<String> lines = new ArrayList<>();
    if (changedNothing(Knob.MAX_WARM)) {
      boolean neverCold = results.stream().allMatch(r -> r.coldAllocs() == 0);
      lines.add(
          "max-warm changed nothing: "
              + (warmStart
                  ? "the pools start warm, so no slot is ever cold and every miss takes the least"
                      + " recently freed warm slot whatever max-warm says (--cold-start shows it on"
                      + " pools filling up)."
                  : neverCold
                      ? "no allocation ever found a cold slot, which is all max-warm decides about."
                      : "every threshold tried made the same choices in this workload."));
    }
    if (changedNothing(Knob.MEMORY)) {
      long peak = 0;
      long least = Long.MAX_VALUE;
      for (SimResult r : results) {
        peak = Math.max(peak, r.peakResidentBytes());
        least = Math.min(least, r.memory().bytes());
      }
      boolean adaptive = results.get(0).memory().adaptive();
      lines.add(
          (adaptive ? "The resident budget" : "keep-resident")
              + " changed nothing: "
              + (adaptive && peak <= least
                  ? "the warm slots never kept more than "
                      + Sizes.format(peak)
                      + " resident, within the smallest budget tried."
                  : "every value tried kept the same pages resident."));
    }
    if (changedNothing(Knob.SLOTS)) {
      lines.add("The slot count changed nothing: every count tried gave the same results.");
    }
    return lines;
  }

  /** The rows of {@code best} as results, for the {@code chosen} column. */
  public static List<SimResult> chosen(Best best) {
    List<SimResult> chosen = new ArrayList<>();
    if (best != null) {
      for (Row row : best.rows()) {
        chosen.add(Objects.requireNonNull(row.result()));
      }
    }
    return chosen;
  }
}
