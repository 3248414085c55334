package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code slotpool bench} with no subcommand, run for a few milliseconds per case: that it runs the
 * shipped modules on every side, checks their output and prints the table, not how fast.
 */
class BenchProductTest {
  private static final String RATE = "[0-9,]+/s \\([0-9,.]+ us\\)";
  private static final String RATIO = "[0-9.]+x (?:faster|slower)";

  /** A program's row: plain, default pool, its ratio, prepared, its ratio. */
  private static final String ROW =
      " +[12] +" + RATE + " +" + RATE + " +" + RATIO + " +" + RATE + " +" + RATIO;

  @Test
  void bench_noSubcommand_comparesEveryShippedProgramOnEverySide() {
    CommandRun run = CommandRun.of("bench", "--warmup", "0", "--time", "0.02", "--quiet");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out())
        .containsPattern(
            "(?m)^program +threads +plain Chicory +default pool +vs plain +prepared +vs plain$")
        .containsPattern("(?m)^c-greet" + ROW + "$")
        .containsPattern("(?m)^rust-greet" + ROW + "$")
        .containsPattern("(?m)^quickjs" + ROW + "$")
        // a few milliseconds per case are far too few requests for steady state, and it says so
        // (QuickJS on plain Chicory takes milliseconds per request, so its row always does)
        .containsPattern("quickjs: plain Chicory finished only \\d+ requests in the timed part");
    List<String> rows =
        run.out().lines().filter(l -> l.matches(" *\\S* +[12] +" + RATE + ".*")).toList();
    assertThat(rows).as(run.out()).hasSize(6);
    assertThat(rows).allMatch(l -> l.matches(" *\\S*" + ROW));
    // QuickJS's prepared side is its snapshot prepared: recycled to the snapshot's state as well
    for (String program : List.of("c-greet", "rust-greet", "quickjs")) {
      assertRecycledAllButTwo(run.out(), program);
    }
  }

  /**
   * The prepared module recycled every instance but the two the first use of each slot built: one
   * slot from one thread, a second one from two.
   */
  private static void assertRecycledAllButTwo(String out, String program) {
    Matcher m =
        Pattern.compile(
                "(?m)^"
                    + program
                    + " prepared: ([0-9,]+) of ([0-9,]+) instantiations recycled their instance;"
                    + " 2 built one \\(NO_INSTANCE_ON_SLOT 2\\), warm-up included$")
            .matcher(out);
    assertThat(m.find()).as(out).isTrue();
    long recycled = Long.parseLong(m.group(1).replace(",", ""));
    long all = Long.parseLong(m.group(2).replace(",", ""));
    assertThat(recycled).as(program).isPositive().isEqualTo(all - 2);
  }

  @Test
  void bench_timeOutOfRange_exits2WithOneLine() {
    CommandRun run = CommandRun.of("bench", "--time", "0");

    assertThat(run.status()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines()).singleElement().asString().contains("--time: 0.0");
  }
}
