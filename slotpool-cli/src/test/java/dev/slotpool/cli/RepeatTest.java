package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** simulate --repeat N: the summary over seeds agrees with N single-seed runs. */
class RepeatTest {
  private static final String[] SEED_MODEL = {
    "simulate",
    "--model",
    "seed",
    "-w",
    "uniform",
    "--keys",
    "10",
    "--slots",
    "50",
    "-m",
    "8,50",
    "-p",
    "affinity",
    "--ops",
    "20000",
    "-f",
    "csv"
  };

  private static String[] with(String... more) {
    String[] all = new String[SEED_MODEL.length + more.length];
    System.arraycopy(SEED_MODEL, 0, all, 0, SEED_MODEL.length);
    System.arraycopy(more, 0, all, SEED_MODEL.length, more.length);
    return all;
  }

  /** The hit rates of a plain csv run, one per row. */
  private static List<Double> hitRates(CommandRun run) {
    List<String> lines = run.out().lines().filter(l -> !l.startsWith("#")).toList();
    int column = List.of(lines.getFirst().split(",")).indexOf("hit_rate");
    List<Double> rates = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      rates.add(Double.parseDouble(line.split(",", -1)[column]));
    }
    return rates;
  }

  @Test
  void repeat_reportsTheMeanSpreadAndIntervalOfTheSingleSeedRuns() {
    int n = 5;
    double[][] rates = new double[2][n];
    for (int s = 0; s < n; s++) {
      CommandRun one = CommandRun.of(with("--seed", Long.toString(7 + s)));
      assertThat(one.status()).as(one.toString()).isZero();
      List<Double> r = hitRates(one);
      rates[0][s] = r.get(0);
      rates[1][s] = r.get(1);
    }

    CommandRun run = CommandRun.of(with("--seed", "7", "--repeat", Integer.toString(n)));

    assertThat(run.status()).as(run.toString()).isZero();
    List<String> lines = run.out().lines().filter(l -> !l.startsWith("#")).toList();
    assertThat(lines.getFirst())
        .isEqualTo(
            "policy,max_warm,runs,first_seed,hit_rate_mean,hit_rate_ci95,hit_rate_sd,hit_rate_min,"
                + "hit_rate_max,failure_rate_mean");
    assertThat(lines).hasSize(3);
    for (int row = 0; row < 2; row++) {
      String[] f = lines.get(row + 1).split(",");
      double mean = 0;
      for (double r : rates[row]) {
        mean += r / n;
      }
      double squares = 0;
      double min = 1;
      double max = 0;
      for (double r : rates[row]) {
        squares += (r - mean) * (r - mean);
        min = Math.min(min, r);
        max = Math.max(max, r);
      }
      double sd = Math.sqrt(squares / (n - 1));
      assertThat(f[0]).isEqualTo("affinity");
      assertThat(f[1]).isEqualTo(row == 0 ? "8" : "50");
      assertThat(f[2]).isEqualTo("5");
      assertThat(f[3]).isEqualTo("7");
      assertThat(Double.parseDouble(f[4])).isCloseTo(mean, within(2e-6));
      // Student's t for 4 degrees of freedom: 2.776.
      assertThat(Double.parseDouble(f[5])).isCloseTo(2.776 * sd / Math.sqrt(n), within(2e-6));
      assertThat(Double.parseDouble(f[6])).isCloseTo(sd, within(2e-6));
      assertThat(Double.parseDouble(f[7])).isCloseTo(min, within(2e-6));
      assertThat(Double.parseDouble(f[8])).isCloseTo(max, within(2e-6));
    }
  }

  @Test
  void repeat_table_namesTheSeeds() {
    CommandRun run =
        CommandRun.of(
            "simulate",
            "--ops",
            "5000",
            "-p",
            "affinity",
            "-m",
            "4",
            "--repeat",
            "3",
            "--seed",
            "1");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("repeated with seeds 1..3").contains("95% CI of mean");
  }

  @Test
  void repeat_badInput() {
    CommandRun zero = CommandRun.of("simulate", "--repeat", "0");
    assertThat(zero.status()).isEqualTo(2);
    assertThat(zero.err()).contains("--repeat: 0 (expected: 1 <= N <= 1000)");
    CommandRun out = CommandRun.of("simulate", "--repeat", "2", "--out", "target/repeat-out");
    assertThat(out.status()).isEqualTo(2);
    assertThat(out.err()).contains("--repeat: 2 (expected: 1 with a trace or --out");
  }
}
