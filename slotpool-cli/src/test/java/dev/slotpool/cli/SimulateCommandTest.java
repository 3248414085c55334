package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {
  private static final String[] SMALL = {"--slots", "64", "--keys", "100", "--ops", "20000"};

  private static CommandRun simulate(String... args) {
    String[] all = new String[1 + SMALL.length + args.length];
    all[0] = "simulate";
    System.arraycopy(SMALL, 0, all, 1, SMALL.length);
    System.arraycopy(args, 0, all, 1 + SMALL.length, args.length);
    return CommandRun.of(all);
  }

  /** The lines of a CSV without its provenance comments. */
  private static List<String> lines(String text) {
    return text.lines().filter(line -> !line.startsWith("#")).toList();
  }

  @Test
  void table_byDefault_listsEveryPolicyAndTheBest() {
    CommandRun run = simulate("--max-warm", "0,8");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("zipf(s=1.0): 64 slots, 100 keys, 20,000 steps")
        .contains("policy", "max-warm", "hit rate", "evictions", "resident peak")
        .contains("max-warm changed nothing: the pools start warm")
        .contains("Best: a tie at")
        .contains("between affinity max-warm 0..8; sharded max-warm 0..8");
    for (String policy : List.of("affinity", "sharded", "simple", "random", "fifo")) {
      assertThat(lines(run.out())).anyMatch(line -> line.startsWith(policy + " "));
    }
    assertThat(run.err()).isEmpty();
  }

  @Test
  void csv_hasTheDocumentedColumnsAndOneRowPerRun() {
    CommandRun run = simulate("--format", "csv", "--max-warm", "0,4,16", "-p", "affinity,random");

    assertThat(run.status()).as(run.toString()).isZero();
    List<String> lines = lines(run.out());
    assertThat(lines.get(0))
        .contains("policy,max_warm")
        .contains("slots,hosts,keys,ops")
        .contains("hit_rate,cold_allocs,evictions,failures")
        .contains("peak_unused_warm");
    // affinity once per threshold; random has no threshold, so once with an empty max_warm
    assertThat(lines).hasSize(1 + 3 + 1);
    assertThat(lines.get(1)).startsWith("affinity,0,");
    assertThat(lines.get(3)).startsWith("affinity,16,");
    assertThat(lines.get(4)).startsWith("random,,");
  }

  @Test
  void json_hasOneObjectPerRun() {
    CommandRun run = simulate("--format", "json", "--max-warm", "2", "-p", "affinity,fifo");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out().strip())
        .startsWith("{\"provenance\": {\"command\": \"slotpool simulate")
        .endsWith("]}");
    assertThat(run.out())
        .contains("\"policy\": \"affinity\", \"max_warm\": 2")
        .contains("\"policy\": \"fifo\", \"max_warm\": null");
  }

  @Test
  void sameSeed_sameResults_otherSeed_otherResults() {
    for (String workload : List.of("uniform", "zipf", "hotspot", "phased")) {
      CommandRun first = simulate("-w", workload, "--format", "csv", "--seed", "7");
      CommandRun again = simulate("-w", workload, "--format", "csv", "--seed", "7");
      CommandRun other = simulate("-w", workload, "--format", "csv", "--seed", "8");

      assertThat(first.status()).as(first.toString()).isZero();
      assertThat(again.out()).as(workload).isEqualTo(first.out());
      assertThat(other.out()).as(workload).isNotEqualTo(first.out());
    }
  }

  @Test
  void sharded_fromOneThread_makesTheExactAllocatorsChoices() {
    CommandRun run =
        simulate("--format", "csv", "-w", "phased", "-p", "affinity,sharded", "--cold-start");

    List<String> rows = lines(run.out()).subList(1, lines(run.out()).size());
    List<String> affinity = rows.stream().filter(r -> r.startsWith("affinity,")).toList();
    List<String> sharded = rows.stream().filter(r -> r.startsWith("sharded,")).toList();
    assertThat(affinity).hasSizeGreaterThan(3);
    // Everything but the name and the chosen flag (the best row is affinity's, listed first)
    assertThat(sharded.stream().map(r -> r.substring("sharded".length(), r.lastIndexOf(','))))
        .containsExactlyElementsOf(
            affinity.stream()
                .map(r -> r.substring("affinity".length(), r.lastIndexOf(',')))
                .toList());
  }

  @Test
  void affinityBeatsRandomOnZipf() {
    CommandRun run =
        simulate("--format", "csv", "--max-warm", "64", "-p", "affinity,random,simple,fifo");

    List<String> rows = lines(run.out()).subList(1, 5);
    double affinity = hitRate(rows.get(0));
    assertThat(affinity).isGreaterThan(0.3);
    for (String baseline : rows.subList(1, 4)) {
      assertThat(affinity).as(baseline).isGreaterThan(hitRate(baseline) + 0.1);
    }
  }

  private static double hitRate(String csvRow) {
    List<String> header = Arrays.asList(dev.slotpool.cli.report.Reports.CSV_HEADER.split(","));
    return Double.parseDouble(csvRow.split(",", -1)[header.indexOf("hit_rate")]);
  }

  @Test
  void out_writesCsvAndPngChart(@TempDir Path dir) throws IOException {
    Path results = dir.resolve("results");
    CommandRun run = simulate("--out", results.toString(), "--max-warm", "0,8,64", "-q");

    assertThat(run.status()).as(run.toString()).isZero();
    List<String> csv = Files.readAllLines(results.resolve("simulate.csv"));
    assertThat(csv.get(0)).startsWith("# made by: slotpool simulate --slots 64");
    assertThat(lines(String.join("\n", csv)).get(0)).startsWith("policy,max_warm");
    byte[] png = Files.readAllBytes(results.resolve("simulate.png"));
    assertThat(Arrays.copyOf(png, 4)).containsExactly(0x89, 'P', 'N', 'G');
    assertThat(run.err()).contains("wrote ");
  }

  @Test
  void out_writesSvgChartOnRequest(@TempDir Path dir) throws IOException {
    CommandRun run =
        simulate("--out", dir.toString(), "--chart", "svg", "-p", "affinity,random", "-m", "0,8");

    assertThat(run.status()).as(run.toString()).isZero();
    String svg = Files.readString(dir.resolve("simulate.svg"));
    assertThat(svg).contains("<svg").contains("<path");
  }

  @Test
  void trace_withManyMoreAllocationsThanSlots_isReplayed(@TempDir Path dir) throws IOException {
    // A request log: 1000 requests for 3 modules on 2 slots, each freed before the next.
    StringBuilder text = new StringBuilder();
    for (int n = 0; n < 1000; n++) {
      text.append("alloc,m").append(n % 3).append('\n').append("free,").append(n).append('\n');
    }
    Path trace = dir.resolve("long.csv");
    Files.writeString(trace, text);
    CommandRun run =
        CommandRun.of(
            "simulate",
            "--slots",
            "2",
            "-w",
            "trace:" + trace,
            "-m",
            "2",
            "-p",
            "affinity",
            "--format",
            "csv");

    assertThat(run.status()).as(run.toString()).isZero();
    // Three modules take turns over two warm slots: every allocation after the two cold ones
    // evicts the least recently freed slot, which belongs to the module used two turns ago.
    assertThat(lines(run.out()).get(1)).startsWith("affinity,2,");
    assertThat(lines(run.out()).get(1)).contains(",1000,");
  }

  @Test
  void trace_isReplayed(@TempDir Path dir) throws IOException {
    Path trace = dir.resolve("t.csv");
    Files.writeString(
        trace,
        """
        # two modules taking turns
        alloc,a
        free,0
        alloc,b
        free,1,4096
        alloc,a
        alloc,b
        """);
    CommandRun run =
        CommandRun.of(
            "simulate",
            "--slots",
            "4",
            "-w",
            "trace:" + trace,
            "-m",
            "4",
            "-p",
            "affinity",
            "--format",
            "csv");

    assertThat(run.status()).as(run.toString()).isZero();
    // a cold, b cold, then both hit their warm slots
    assertThat(lines(run.out()).get(1))
        .startsWith("affinity,4,adaptive,,67108864,4,1,2,6,4,0.500000,2,0,0,");
  }
}
