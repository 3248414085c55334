package dev.slotpool.cli.bench;

import dev.slotpool.cli.report.Reports;
import java.util.Collections;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * How a prepared module's instantiations got their instances, independent of the runtime: the
 * runtime's {@code RecycleStats} with its reasons by name.
 *
 * <p>Immutable.
 *
 * @param recycled instantiations that reused an instance parked with its warm slot
 * @param built instantiations that constructed an instance
 * @param notRecycled the runtime's count per reason ({@code RecycleStats.Reason}'s names)
 */
public record Recycling(long recycled, long built, Map<String, Long> notRecycled) {
  /** Why a module's instances are never recycled, by reason: what {@link #whyNot} prints. */
  private static final Map<String, String> NEVER =
      Map.of(
          "HOST_STATE", "its imports hold host state (a memory, a table, a mutable global)",
          "MEMORY_LAYOUT", "it does not define exactly one memory",
          "START_FUNCTION", "it has a start function, whose effects its memory image does not hold",
          "REFERENCE_STATE",
              "it keeps references the pool does not restore (exceptions, GC types, tables of"
                  + " other than functions, reference-typed mutable globals)");

  /** Sorts the reasons by name. */
  public Recycling {
    notRecycled = Collections.unmodifiableMap(new TreeMap<>(notRecycled));
  }

  /**
   * Why a module that never recycles does not, such as {@code not recycled: START_FUNCTION (it has
   * a start function, ...)}.
   */
  public String whyNot() {
    StringJoiner text = new StringJoiner("; ", "not recycled: ", "");
    notRecycled.keySet().stream()
        .filter(NEVER::containsKey)
        .forEach(reason -> text.add(reason + " (" + NEVER.get(reason) + ")"));
    return text.toString();
  }

  /**
   * How many instantiations recycled, such as {@code 9,999 of 10,000 instantiations recycled their
   * instance; 1 built one (NO_INSTANCE_ON_SLOT 1)}.
   */
  public String summary() {
    StringBuilder text =
        new StringBuilder()
            .append(Reports.grouped(recycled))
            .append(" of ")
            .append(Reports.grouped(recycled + built))
            .append(" instantiations recycled their instance");
    if (built != 0) {
      text.append("; ").append(Reports.grouped(built)).append(" built one");
    }
    if (!notRecycled.isEmpty()) {
      StringJoiner reasons = new StringJoiner(", ", " (", ")");
      notRecycled.forEach((reason, count) -> reasons.add(reason + " " + Reports.grouped(count)));
      text.append(reasons);
    }
    return text.toString();
  }
}
