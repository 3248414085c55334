package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandsTest {

  @ParameterizedTest(name = "{0} --help")
  @ValueSource(strings = {"", "simulate", "tune", "bench", "bench index"})
  void everyCommand_hasHelp(String command) {
    List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
    args.removeIf(String::isEmpty);
    args.add("--help");

    CommandRun run = CommandRun.of(args.toArray(String[]::new));

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("Usage: slotpool" + (command.isEmpty() ? "" : " " + command));
    assertThat(run.err()).isEmpty();
  }

  @Test
  void tune_printsBestSettingWithinBudgetAndWasmtimeConfig() {
    CommandRun run =
        CommandRun.of(
            "tune",
            "--slots",
            "64",
            "--keys",
            "100",
            "--ops",
            "20000",
            "--max-warm",
            "0,8,64",
            "--reset",
            "fixed",
            "--keep-resident",
            "0,64KiB",
            "--budget",
            "1MiB");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("budget for warm slots: 1 MiB")
        .contains("=>")
        .containsPattern("Best within 1 MiB: max-warm \\d+, keep-resident (0 B|64 KiB)")
        .contains(".max_unused_warm_slots(")
        .contains(".linear_memory_keep_resident(")
        .contains("pool.total_memories(64)");
    // 64 slots x 64 KiB can exceed 1 MiB at the peak, so the answer's peak must be within it
    String best = run.out().lines().filter(l -> l.startsWith("=>")).findFirst().orElseThrow();
    assertThat(best).doesNotContain("MiB");
  }

  @Test
  void tune_csvIsTheCurve() {
    CommandRun run =
        CommandRun.of(
            "tune",
            "--slots",
            "16",
            "--keys",
            "20",
            "--ops",
            "5000",
            "--max-warm",
            "0,4",
            "--reset",
            "fixed",
            "--concurrency",
            "6",
            "--keep-resident",
            "0,1KiB,2MiB",
            "--format",
            "csv");

    assertThat(run.status()).as(run.toString()).isZero();
    // 2 thresholds x 3 keep-resident values (2MiB counts as the 1MiB working set)
    List<String> lines = run.out().lines().filter(l -> !l.startsWith("#")).toList();
    assertThat(lines).hasSize(1 + 6);
    assertThat(lines.subList(1, 7)).allMatch(l -> l.startsWith("affinity,"));
    assertThat(lines.stream().filter(l -> l.endsWith(",true"))).hasSize(1);
    assertThat(run.out()).startsWith("# made by: slotpool tune --slots 16");
  }

  @Test
  void benchIndex_csvGivesCaseAndNanosPerOp() {
    CommandRun run =
        CommandRun.of(
            "bench",
            "index",
            "--ops",
            "20000",
            "--iterations",
            "1",
            "--format",
            "csv",
            "-p",
            "affinity,simple,random,fifo");

    assertThat(run.status()).as(run.toString()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("case,ns_per_op");
    assertThat(lines.subList(1, lines.size()))
        .extracting(l -> l.split(",")[0])
        .containsExactly("index/affinity", "index/simple", "index/random", "index/fifo");
    assertThat(lines.subList(1, lines.size()))
        .allSatisfy(l -> assertThat(Double.parseDouble(l.split(",")[1])).isPositive());
  }

  @Test
  void benchIndex_tableWithThreads() {
    CommandRun run =
        CommandRun.of(
            "bench",
            "index",
            "--ops",
            "20000",
            "--iterations",
            "1",
            "--threads",
            "2",
            "-p",
            "affinity");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("ns/op").contains("index/affinity/threads=2");
  }
}
