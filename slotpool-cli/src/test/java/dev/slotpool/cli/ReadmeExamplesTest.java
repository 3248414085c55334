package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every simulate and tune example of this module's README and of the project's, and the trace
 * examples, run as written; each prints rows that differ.
 */
class ReadmeExamplesTest {
  private static final Path README = Path.of("README.md");
  private static final Path PROJECT_README = Path.of("..", "README.md");

  private static List<String> blocks() throws IOException {
    return blocks(README);
  }

  private static List<String> blocks(Path readme) throws IOException {
    List<String> blocks = new ArrayList<>();
    String[] parts = Files.readString(readme).split("```", -1);
    for (int i = 1; i < parts.length; i += 2) {
      blocks.add(parts[i].startsWith("\n") ? parts[i].substring(1) : parts[i]);
    }
    return blocks;
  }

  private static String block(String containing) throws IOException {
    return block(README, containing);
  }

  private static String block(Path readme, String containing) throws IOException {
    return blocks(readme).stream().filter(b -> b.contains(containing)).findFirst().orElseThrow();
  }

  /**
   * The table's rows that show the same figures as another row of the same policy: a knob that
   * changed nothing, or an option the run ignored. Empty when every row says something.
   */
  static List<String> repeatedRows(String out) {
    List<String> lines = out.lines().toList();
    int header = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("hit rate") && lines.get(i).contains("max-warm")) {
        header = i;
        break;
      }
    }
    assertThat(header).as("a table in%n%s", out).isNotNegative();
    List<String> columns = Arrays.asList(lines.get(header).strip().split(" {2,}"));
    boolean policies = columns.get(0).equals("policy");
    int figures = columns.indexOf("hit rate");
    Set<String> seen = new HashSet<>();
    List<String> repeated = new ArrayList<>();
    for (String line : lines.subList(header + 1, lines.size())) {
      if (line.isBlank()) {
        break;
      }
      List<String> fields = Arrays.asList(line.replaceFirst("^=>", "").strip().split(" {2,}"));
      int from = fields.size() - (columns.size() - figures);
      String key =
          (policies ? fields.get(0) : "")
              + "|"
              + String.join("|", fields.subList(from, fields.size()));
      if (!seen.add(key)) {
        repeated.add(line);
      }
    }
    return repeated;
  }

  /**
   * The examples run in parallel, one per core: the commands share no state (the command line,
   * simulator and output writers are per run), and the default scenario's runs are most of this
   * class's time.
   */
  @Test
  void commandExamples_runAsWritten_andPrintRowsThatDiffer(@TempDir Path dir) throws Exception {
    Path requests = dir.resolve("requests.csv");
    Files.writeString(requests, block("timestamp,key,duration"));
    List<String> commands = new ArrayList<>();
    for (Path readme : List.of(README, PROJECT_README)) {
      for (String line : block(readme, "./slotpool simulate --").lines().toList()) {
        String command = line.replaceAll("#.*", "").strip();
        if (command.startsWith("./slotpool simulate") || command.startsWith("./slotpool tune")) {
          commands.add(command); // bench runs for a minute or names a module of the reader's
        }
      }
    }
    assertThat(commands).hasSizeGreaterThanOrEqualTo(12);
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    try (ExecutorService executor = Executors.newFixedThreadPool(threads)) {
      List<Future<CommandRun>> runs = new ArrayList<>();
      for (String command : commands) {
        String[] args =
            Arrays.stream(command.substring("./slotpool ".length()).split(" +"))
                .map(a -> a.equals("results/") ? dir.resolve("results").toString() : a)
                .map(a -> a.equals("trace:requests.csv") ? "trace:" + requests : a)
                .toArray(String[]::new);
        runs.add(executor.submit(() -> CommandRun.of(args)));
      }
      for (int i = 0; i < commands.size(); i++) {
        CommandRun run = runs.get(i).get();
        assertThat(run.status()).as(commands.get(i) + "\n" + run).isZero();
        assertThat(repeatedRows(run.out())).as(commands.get(i) + "\n" + run).isEmpty();
      }
    }
    assertThat(dir.resolve("results/simulate.png")).exists();
  }

  @Test
  void repeatedRows_findsRowsOfOnePolicyWithTheSameFigures() {
    String out =
        String.join(
            "\n",
            "policy    max-warm  hit rate  evictions  cost/alloc",
            "affinity         0    71.32%    143,407     45.0 us",
            "affinity         1    71.32%    143,407     45.0 us",
            "sharded          0    71.32%    143,407     45.0 us",
            "random           -     3.55%    482,213     92.5 us",
            "",
            "Best: ...");

    assertThat(repeatedRows(out))
        .containsExactly("affinity         1    71.32%    143,407     45.0 us");
  }

  @Test
  void traceExamples_runAsWritten(@TempDir Path dir) throws IOException {
    for (String marker : new String[] {"alloc,module-a", "timestamp,key,duration"}) {
      Path trace = dir.resolve("t.csv");
      Files.writeString(trace, block(marker));

      CommandRun run = CommandRun.of("simulate", "-w", "trace:" + trace, "--slots", "4");

      assertThat(run.status()).as(marker + "\n" + run).isZero();
      assertThat(run.out()).contains("trace:" + trace + ": 4 slots, 2 keys");
      assertThat(run.err()).isEmpty();
    }
  }

  @Test
  void costsExample_isAValidCostsFile(@TempDir Path dir) throws IOException {
    Path costs = dir.resolve("costs.csv");
    Files.writeString(costs, block("name,value"));

    CommandRun run =
        CommandRun.of(
            "simulate", "--ops", "10000", "-p", "affinity", "-m", "8", "--costs", costs.toString());

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("1.1 MiB written per request").contains("measured costs");
  }
}
