package dev.slotpool.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every simulate and tune example of the README, and its trace examples, run as written. */
class ReadmeExamplesTest {
  private static final Path README = Path.of("README.md");

  private static List<String> blocks() throws IOException {
    List<String> blocks = new ArrayList<>();
    String[] parts = Files.readString(README).split("```", -1);
    for (int i = 1; i < parts.length; i += 2) {
      blocks.add(parts[i].startsWith("\n") ? parts[i].substring(1) : parts[i]);
    }
    return blocks;
  }

  private static String block(String containing) throws IOException {
    return blocks().stream().filter(b -> b.contains(containing)).findFirst().orElseThrow();
  }

  /**
   * The examples run in parallel, one per core: the commands share no state (the command line,
   * simulator and output writers are per run), and the default scenario's runs are most of this
   * class's time.
   */
  @Test
  void commandExamples_runAsWritten(@TempDir Path dir) throws Exception {
    List<String> commands = new ArrayList<>();
    for (String line : block("./slotpool simulate").lines().toList()) {
      String command = line.replaceAll("#.*", "").strip();
      if (command.startsWith("./slotpool simulate") || command.startsWith("./slotpool tune")) {
        commands.add(command); // bench examples name a module of the reader's; --help elsewhere
      }
    }
    assertThat(commands).hasSizeGreaterThanOrEqualTo(5);
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    try (ExecutorService executor = Executors.newFixedThreadPool(threads)) {
      List<Future<CommandRun>> runs = new ArrayList<>();
      for (String command : commands) {
        String[] args =
            Arrays.stream(command.substring("./slotpool ".length()).split(" +"))
                .map(a -> a.equals("results/") ? dir.resolve("results").toString() : a)
                .toArray(String[]::new);
        runs.add(executor.submit(() -> CommandRun.of(args)));
      }
      for (int i = 0; i < commands.size(); i++) {
        CommandRun run = runs.get(i).get();
        assertThat(run.status()).as(commands.get(i) + "\n" + run).isZero();
      }
    }
    assertThat(dir.resolve("results/simulate.png")).exists();
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
