package dev.slotpool.cli.report;

import dev.slotpool.cli.model.SimResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The hit rate of one configuration over several seeds: its mean, a 95% confidence interval of the
 * mean and the spread across seeds ({@code simulate --repeat N}).
 *
 * <p>One seed's hit rate is one draw from a distribution that can be wide: in the seed step model
 * the number of held slots random-walks, so runs of 10M steps differ by several points between
 * seeds. A figure to reproduce is then a mean, and a comparison needs the interval. Stateless.
 */
public final class Repeats {
  /** Student's t, two-sided 95% (the 0.975 quantile), for 1 to 30 degrees of freedom. */
  private static final double[] T975 = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042
  };

  private static final String CSV_HEADER =
      "policy,max_warm,runs,first_seed,hit_rate_mean,hit_rate_ci95,hit_rate_sd,hit_rate_min,"
          + "hit_rate_max,failure_rate_mean";

  private Repeats() {}

  /**
   * One configuration over {@code runs} seeds.
   *
   * @param policy the policy's label
   * @param maxWarm its threshold, or -1
   * @param runs the number of seeds
   * @param firstSeed the first seed (the others follow it)
   * @param mean the mean hit rate
   * @param ci95 half the width of the 95% confidence interval of the mean (Student's t; NaN for one
   *     run)
   * @param sd the standard deviation across seeds (NaN for one run)
   * @param min the lowest hit rate
   * @param max the highest
   * @param failureRate the mean failure rate
   */
  public record Summary(
      String policy,
      int maxWarm,
      int runs,
      long firstSeed,
      double mean,
      double ci95,
      double sd,
      double min,
      double max,
      double failureRate) {}

  /** Student's t 0.975 quantile for {@code df} degrees of freedom (>= 1). */
  static double t975(int df) {
    if (df <= T975.length) {
      return T975[df - 1];
    }
    // Beyond 30: the normal quantile with the first correction term, within 0.002 of the table.
    return 1.95996 + 2.4 / df;
  }

  /** Summarizes the runs of one configuration, one per seed. */
  public static Summary summarize(List<SimResult> runs, long firstSeed) {
    int n = runs.size();
    double sum = 0;
    double failures = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (SimResult r : runs) {
      sum += r.hitRate();
      failures += r.failureRate();
      min = Math.min(min, r.hitRate());
      max = Math.max(max, r.hitRate());
    }
    double mean = sum / n;
    double squares = 0;
    for (SimResult r : runs) {
      squares += (r.hitRate() - mean) * (r.hitRate() - mean);
    }
    double sd = n > 1 ? Math.sqrt(squares / (n - 1)) : Double.NaN;
    double ci = n > 1 ? t975(n - 1) * sd / Math.sqrt(n) : Double.NaN;
    SimResult first = runs.getFirst();
    return new Summary(
        first.policy(), first.maxWarm(), n, firstSeed, mean, ci, sd, min, max, failures / n);
  }

  /** An aligned table, one row per configuration. */
  public static void table(List<Summary> summaries, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "policy", "max-warm", "seeds", "hit rate", "95% CI of mean", "sd", "min", "max", "failed"
        });
    for (Summary s : summaries) {
      rows.add(
          new String[] {
            s.policy(),
            s.maxWarm() < 0 ? "-" : Integer.toString(s.maxWarm()),
            Integer.toString(s.runs()),
            Reports.fixed(s.mean(), 5),
            "+/- " + Reports.fixed(s.ci95(), 5),
            Reports.fixed(s.sd(), 5),
            Reports.fixed(s.min(), 5),
            Reports.fixed(s.max(), 5),
            Reports.fixed(100 * s.failureRate(), 2) + "%"
          });
    }
    Reports.aligned(rows, out, 1);
    out.flush();
  }

  /** CSV with the provenance as comments. */
  public static void csv(List<Summary> summaries, Provenance provenance, PrintWriter out) {
    for (String line : provenance.lines()) {
      out.println("# " + line);
    }
    out.println(CSV_HEADER);
    for (Summary s : summaries) {
      out.println(String.join(",", values(s)));
    }
    out.flush();
  }

  /** JSON: {@code provenance}, then {@code repeats}, keys as in the CSV header. */
  public static void json(List<Summary> summaries, Provenance provenance, PrintWriter out) {
    String[] keys = CSV_HEADER.split(",");
    out.println("{\"provenance\": " + provenance.json() + ",");
    out.println(" \"repeats\": [");
    for (int i = 0; i < summaries.size(); i++) {
      List<String> values = values(summaries.get(i));
      StringBuilder line = new StringBuilder("  {");
      for (int k = 0; k < keys.length; k++) {
        String v = values.get(k);
        line.append(k == 0 ? "" : ", ").append('"').append(keys[k]).append("\": ");
        if (v.isEmpty() || v.equals("NaN")) {
          line.append("null");
        } else {
          line.append(k == 0 ? Reports.jsonString(v) : v);
        }
      }
      out.println(line.append('}').append(i + 1 < summaries.size() ? "," : ""));
    }
    out.println(" ]}");
    out.flush();
  }

  private static List<String> values(Summary s) {
    return List.of(
        s.policy(),
        s.maxWarm() < 0 ? "" : Integer.toString(s.maxWarm()),
        Integer.toString(s.runs()),
        Long.toString(s.firstSeed()),
        Reports.fixed(s.mean(), 6),
        Reports.fixed(s.ci95(), 6),
        Reports.fixed(s.sd(), 6),
        Reports.fixed(s.min(), 6),
        Reports.fixed(s.max(), 6),
        Reports.fixed(s.failureRate(), 6));
  }
}
