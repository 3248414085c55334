package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code slotpool bench} with no subcommand, run for a few milliseconds per case: that it runs the
 * shipped modules on both sides, checks their output and prints the table, not how fast.
 */
class BenchProductTest {
  @Test
  void bench_noSubcommand_comparesEveryShippedProgramOnBothSides() {
    CommandRun run = CommandRun.of("bench", "--warmup", "0", "--time", "0.02", "--quiet");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out())
        .contains("program", "threads", "plain Chicory", "with slotpool", "slotpool is")
        .containsPattern("(?m)^c-greet +1 +[0-9,]+/s")
        .containsPattern("(?m)^rust-greet +1 +[0-9,]+/s")
        .containsPattern("(?m)^quickjs +1 +[0-9,]+/s")
        .containsPattern("(?m)^ +2 +[0-9,]+/s")
        .containsPattern("[0-9.]+x (faster|slower)")
        // a few milliseconds per case are far too few requests for steady state, and it says so
        // (QuickJS on plain Chicory takes milliseconds per request, so its row always does)
        .containsPattern("quickjs: plain Chicory finished only \\d+ requests in the timed part");
    assertThat(run.out().lines().filter(l -> l.matches(" *\\S* +[12] +[0-9,]+/s.*")).count())
        .as(run.out())
        .isEqualTo(6);
  }

  @Test
  void bench_timeOutOfRange_exits2WithOneLine() {
    CommandRun run = CommandRun.of("bench", "--time", "0");

    assertThat(run.status()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines()).singleElement().asString().contains("--time: 0.0");
  }
}
