package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad input: one line on stderr that says what was expected, exit status 2, no stack trace. */
class BadInputTest {

  private static void assertBadInput(CommandRun run, String... fragments) {
    assertThat(run.status()).as(run.toString()).isEqualTo(2);
    assertThat(run.err().lines()).as(run.toString()).hasSize(1);
    assertThat(run.err()).contains(fragments).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(run.out()).isEmpty();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--workload | nope | unknown workload 'nope' (expected one of: uniform, zipf",
        "--slots | 0 | --slots: 0 (expected: 1 <= N",
        "--slots | -3 | --slots: -3 (expected",
        "--keys | 0 | --keys: 0 (expected",
        "--ops | 0 | --ops: 0 (expected: >= 1)",
        "--ops | ten | 'ten' is not a count",
        "--threads | 0 | --threads: 0 (expected",
        "--bytes-per-slot | -1 | '-1' is not a size",
        "--keep-resident | 12x | '12x' is not a size",
        "--free-prob | 1.5 | --free-prob: 1.5 (expected: 0 <= P <= 1)",
        "--skew | -1 | --skew: -1.0 (expected",
        "--max-warm | 1,,2 | '1,,2' is not a threshold list",
        "--max-warm | -1 | -1 is negative",
        "--max-warm | 9..2 | '9..2' is not a range",
        "--policy | lru | 'lru' (expected one of: affinity, sharded, simple, random, fifo)",
        "--format | xml | Invalid value for option '--format'",
        "--cost-cold | -5 | --cost-cold: -5.0 (expected",
      })
  void simulate_badOption(String option, String value, String expected) {
    CommandRun run =
        option.equals("--ops")
            ? CommandRun.of("simulate", option, value)
            : CommandRun.of("simulate", "--ops", "100", option, value);
    assertBadInput(run, "slotpool simulate: ", expected);
  }

  @Test
  void unknownOption() {
    assertBadInput(CommandRun.of("simulate", "--sloots", "3"), "Unknown options: '--sloots', '3'");
  }

  @Test
  void missingCommand_showsTheUsageOnStderr() {
    for (String[] args : new String[][] {{}}) {
      CommandRun run = CommandRun.of(args);
      assertThat(run.status()).as(run.toString()).isEqualTo(2);
      assertThat(run.err()).contains("Usage: slotpool").contains("Commands:");
      assertThat(run.out()).isEmpty();
    }
  }

  @Test
  void missingTraceFile(@TempDir Path dir) {
    Path missing = dir.resolve("missing.csv");
    assertBadInput(
        CommandRun.of("simulate", "-w", "trace:" + missing), missing + ": no such trace file");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "alloc | :2: 'alloc' (expected: alloc,KEY with a non-empty KEY)",
        "grab,a | :2: 'grab,a' (expected: alloc,KEY or free,N[,BYTES])",
        "free,x | :2: N 'x' is not a count (expected: an integer >= 0)",
        "free,5 | :2: free,5 names alloc line 5 but only 1 alloc lines come before it",
        "free,0,lots | :2: BYTES 'lots' is not a count",
        "free,0,1,2 | :2: 'free,0,1,2' (expected: free,N[,BYTES])",
      })
  void malformedTraceLine_namesFileAndLine(String line, String expected, @TempDir Path dir)
      throws IOException {
    Path trace = dir.resolve("bad.csv");
    Files.writeString(trace, "alloc,a\n" + line + "\n");

    assertBadInput(CommandRun.of("simulate", "-w", "trace:" + trace), trace + expected);
  }

  @Test
  void traceDoubleFree_namesFileAndLine(@TempDir Path dir) throws IOException {
    Path trace = dir.resolve("twice.csv");
    Files.writeString(trace, "alloc,a\n\n# comment\nfree,0\nfree,0\n");

    assertBadInput(
        CommandRun.of("simulate", "-w", "trace:" + trace),
        trace + ":5: free,0 frees alloc 0 twice");
  }

  @Test
  void tune_withNoSettingWithinBudget_saysWhatTheSmallestPeakWas() {
    CommandRun run =
        CommandRun.of(
            "tune",
            "--slots",
            "32",
            "--keys",
            "50",
            "--ops",
            "5000",
            "-m",
            "0,4",
            "--reset",
            "fixed",
            "--concurrency",
            "12",
            "--keep-resident",
            "1MiB",
            "--budget",
            "1KiB");

    assertThat(run.status()).as(run.toString()).isEqualTo(2);
    assertThat(run.out()).contains("max-warm"); // the curve is still shown
    assertThat(run.err().lines()).hasSize(1);
    assertThat(run.err())
        .startsWith("slotpool tune: --budget: no setting tried stays within 1 KiB;")
        .contains("the smallest peak is ");
  }

  @Test
  void tune_withNoSettingWithinBudget_exitsTwoInEveryFormat() {
    for (String format : new String[] {"csv", "json"}) {
      CommandRun run =
          CommandRun.of(
              "tune",
              "--slots",
              "32",
              "--keys",
              "50",
              "--ops",
              "5000",
              "-m",
              "0,4",
              "--reset",
              "fixed",
              "--concurrency",
              "12",
              "--keep-resident",
              "1MiB",
              "--budget",
              "1KiB",
              "--format",
              format);

      assertThat(run.status()).as("%s: %s", format, run).isEqualTo(2);
      assertThat(run.out()).as(format).contains("max_warm"); // the curve is still written
      assertThat(run.err()).startsWith("slotpool tune: --budget: no setting tried stays within");
    }
  }

  @Test
  void tuneAndBench_reportBadInputTheSameWay() {
    assertBadInput(CommandRun.of("tune", "--budget", "lots"), "slotpool tune: ", "not a size");
    assertBadInput(CommandRun.of("tune", "--slots", "-1"), "--slots: -1");
    assertBadInput(
        CommandRun.of("bench", "index", "--workload", "pareto"),
        "slotpool bench index: ",
        "unknown workload 'pareto'");
    assertBadInput(CommandRun.of("bench", "index", "--ops", "0"), "--ops: 0");
  }
}
