package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * What the commands answer is usable as printed: help without warnings, options that apply or are
 * refused, tune's Java compiling against the library, its Wasmtime flags within the budget, and a
 * fleet's balancer configuration.
 */
class AnswersTest {
  private static final String[] SMALL = {"--slots", "64", "--keys", "100", "--ops", "20000"};

  private static CommandRun run(String command, String... args) {
    List<String> all = new ArrayList<>(List.of(command.split(" ")));
    all.addAll(List.of(args));
    return CommandRun.of(all.toArray(String[]::new));
  }

  private static CommandRun small(String command, String... args) {
    List<String> all = new ArrayList<>(List.of(SMALL));
    all.addAll(List.of(args));
    return run(command, all.toArray(String[]::new));
  }

  private static void commands(CommandLine cli, String prefix, List<String> into) {
    into.add(prefix);
    cli.getSubcommands()
        .forEach(
            (name, sub) -> {
              if (!name.equals("help")) {
                commands(sub, (prefix + " " + name).strip(), into);
              }
            });
  }

  @Test
  void help_ofEveryCommand_printsNoWarning() {
    List<String> commands = new ArrayList<>();
    commands(Slotpool.commandLine(), "", commands);
    assertThat(commands).contains("simulate", "tune", "bench", "bench wasm", "snapshot");
    PrintStream stderr = System.err;
    ByteArrayOutputStream picocli = new ByteArrayOutputStream();
    // picocli reports a description it cannot format on System.err, not the command's writer.
    System.setErr(new PrintStream(picocli, true, StandardCharsets.UTF_8));
    try {
      for (String command : commands) {
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.removeIf(String::isEmpty);
        args.add("--help");
        CommandRun help = CommandRun.of(args.toArray(String[]::new));

        assertThat(help.status()).as(command + "\n" + help).isZero();
        assertThat(help.err()).as(command).isEmpty();
        assertThat(help.out()).as(command).doesNotContain("%%").doesNotContain("WARN");
      }
    } finally {
      System.setErr(stderr);
    }
    assertThat(picocli.toString(StandardCharsets.UTF_8)).doesNotContain("[picocli WARN]").isEmpty();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "simulate | --free-prob 0.55 | --free-prob: has no effect here (expected: --model seed)",
        "simulate | --threads 2 | --threads: has no effect here (expected: --model seed)",
        "simulate | --model seed --concurrency 50% | --concurrency: has no effect here (expected:"
            + " --model steady)",
        "simulate | --model seed --cold-start | --cold-start: has no effect here (expected:"
            + " --model steady)",
        "simulate | --keep-resident 1MiB | --keep-resident: has no effect here (expected: --reset"
            + " fixed)",
        "simulate | --reset fixed --resident-budget 8MiB | --resident-budget: has no effect here"
            + " (expected: --reset adaptive",
        "simulate | -w uniform --skew 1.2 | --skew: has no effect here (expected: -w zipf or"
            + " phased)",
        "simulate | --hot-prob 0.5 | --hot-prob: has no effect here (expected: -w hotspot)",
        "simulate | --routing hash | --routing: has no effect here (expected: --hosts N with N >"
            + " 1)",
        "simulate | --hosts 2 --routing hash --balance-factor 0.5 | --balance-factor: has no effect"
            + " here (expected: --hosts N with N > 1 and --routing bounded-hash)",
        "simulate | --key-column module | --key-column: has no effect here (expected: -w"
            + " trace:FILE",
        "simulate | --chart svg | --chart: has no effect here (expected: --out DIR",
        "tune | --free-prob 0.5 | --free-prob: has no effect here (expected: --model seed)",
        "tune | --keep-resident 64KiB | --keep-resident: has no effect here (expected: --reset"
            + " fixed)",
        "tune | --slots 10,20 | counts given (expected: one; only simulate sweeps a list)",
        "bench index | --model steady | --model: has no effect here (expected: --model seed",
        "bench index | --arrivals poisson | --arrivals: has no effect here (expected: simulate or"
            + " tune: bench index times the seed model)",
      })
  void option_thatTheRunWouldIgnore_exits2NamingWhatItNeeds(
      String command, String options, String expected) {
    CommandRun refused = small(command, options.split(" "));

    assertThat(refused.status()).as(refused.toString()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(refused.err().lines()).as(refused.toString()).singleElement();
    assertThat(refused.err()).startsWith("slotpool " + command + ": ").contains(expected);
    assertThat(refused.out()).isEmpty();
  }

  @Test
  void simulate_withoutOptions_sweepsSlotsAndBudgetAndSaysWhyNotMaxWarm() {
    CommandRun run = CommandRun.of("simulate", "--ops", "20000", "--keys", "100");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("slots as below", "resident budget as below")
        .containsPattern("(?m)^policy +slots +max-warm +budget +hit rate")
        .containsPattern("(?m)^affinity +750 +750 +16 MiB")
        .containsPattern("(?m)^random +1,500 +- +256 MiB")
        .contains("max-warm is the pool's default (the slot count) and not swept")
        .containsPattern("Best: affinity, 1,500 slots, resident budget \\d+ MiB");
    assertThat(run.out().lines().filter(l -> l.matches("(affinity|simple|random) .*"))).hasSize(27);
    assertThat(ReadmeExamplesTest.repeatedRows(run.out())).isEmpty();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--model | nope | steady, seed",
        "--arrivals | nope | poisson, fixed",
        "--routing | nope | random, round-robin, hash, bounded-hash",
        "--reset | nope | adaptive, fixed",
        "--policy | nope | affinity, sharded, simple, random, fifo",
        "--format | nope | table, csv, json",
      })
  void closedSet_unknownValue_listsTheValues(String option, String value, String values) {
    CommandRun refused = small("simulate", option, value);

    assertThat(refused.status()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(refused.err().lines()).singleElement();
    assertThat(refused.err()).contains(option).contains(values);
  }

  @Test
  void closedSet_labelsAreAccepted_inAnyCase() {
    CommandRun run =
        small(
            "simulate",
            "--hosts",
            "2",
            "--routing",
            "Round-Robin",
            "-p",
            "AFFINITY,random",
            "--arrivals",
            "FIXED");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("round-robin routing", "fixed arrivals");
  }

  /**
   * The Java tune prints: the pool statement, and the memory pool's from the comment after it
   * ({@code // or, for raw memories: MemoryPool.builder()...build();}) as a statement of its own.
   */
  private static String javaBlock(String out) {
    int start = out.indexOf("slotpool (Java), per host:\n");
    assertThat(start).as(out).isNotNegative();
    int end = out.indexOf("\n\n", start);
    String block = out.substring(start + "slotpool (Java), per host:\n".length(), end);
    assertThat(block).contains("// or, for raw memories: MemoryPool.builder()");
    return block.replace("// or, for raw memories: ", "MemoryPool memories = ");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--budget 8MiB",
        "--cold-start --max-warm 0,4,16 --budget 8MiB",
        "--reset fixed --keep-resident 0,64KiB --budget 64MiB",
        "--hosts 2 --budget 16MiB"
      })
  void tune_javaSnippets_compileAgainstTheLibrary(String options, @TempDir Path dir)
      throws IOException {
    CommandRun tune = small("tune", options.split(" "));
    assertThat(tune.status()).as(tune.toString()).isZero();
    String source =
        "import dev.slotpool.chicory.WasmInstancePool;\n"
            + "import dev.slotpool.memory.MemoryPool;\n"
            + "class Pasted {\n"
            + "  void configure() {\n"
            + javaBlock(tune.out())
            + "\n    pool.close();\n    memories.close();\n  }\n}\n";

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    String classPath =
        String.join(
            File.pathSeparator,
            System.getProperty("java.class.path", ""),
            System.getProperty("jdk.module.path", ""));
    StringWriter output = new StringWriter();
    boolean compiled =
        javac
            .getTask(
                output,
                null,
                diagnostics,
                List.of("-proc:none", "-d", dir.toString(), "-classpath", classPath),
                null,
                List.of(
                    new SimpleJavaFileObject(
                        URI.create("string:///Pasted.java"), JavaFileObject.Kind.SOURCE) {
                      @Override
                      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                        return source;
                      }
                    }))
            .call();

    assertThat(compiled).as(source + "\n" + diagnostics.getDiagnostics() + output).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--budget 8MiB --slots 1000 --keys 500 --ops 20000",
        "--budget 1GiB --slots 1000 --keys 500 --ops 20000",
        "--budget 3MiB --slots 64 --keys 100 --ops 20000",
        "--reset fixed --keep-resident 256KiB,1MiB --budget 300MiB --slots 256 --keys 100"
            + " --ops 20000",
      })
  void tune_wasmtimeFlags_keepTheirTotalResidentWithinTheBudget(String options) {
    CommandRun tune = run("tune", options.split(" "));
    assertThat(tune.status()).as(tune.toString()).isZero();

    Matcher flags =
        Pattern.compile(
                "pooling-total-memories=(\\d+),.*pooling-max-unused-warm-slots=(\\d+),"
                    + "pooling-memory-keep-resident=(\\d+)")
            .matcher(tune.out());
    assertThat(flags.find()).as(tune.out()).isTrue();
    long slots = Long.parseLong(flags.group(1));
    long keep = Long.parseLong(flags.group(3));
    Matcher budget = Pattern.compile("--budget (\\d+)([MG])iB").matcher(options);
    assertThat(budget.find()).isTrue();
    long bytes = Long.parseLong(budget.group(1)) << (budget.group(2).equals("G") ? 30 : 20);

    assertThat(keep).isPositive().isEqualTo(keep / 4096 * 4096);
    assertThat(slots * keep).as(tune.out()).isLessThanOrEqualTo(bytes);
    assertThat(tune.out()).contains(".linear_memory_keep_resident(" + keep + ")");
  }

  @Test
  void tune_fleetWithBoundedHash_printsTheBalancerConfigurations() {
    CommandRun tune =
        small(
            "tune",
            "--hosts",
            "3",
            "--budget",
            "32MiB",
            "--balance-factor",
            "0.5",
            "--concurrency",
            "50%");

    assertThat(tune.status()).as(tune.toString()).isZero();
    assertThat(tune.out())
        .contains("lb_policy: RING_HASH")
        .contains("consistent_hashing_lb_config: {hash_balance_factor: 150}")
        .contains("hash_policy: [{header: {header_name: x-wasm-module}}]")
        .contains("balance hdr(x-wasm-module)")
        .contains("hash-type consistent")
        .contains("hash-balance-factor 150")
        .contains("hash $http_x_wasm_module consistent;");
  }

  @Test
  void tune_fleetWithRandomRouting_printsNoBalancerConfiguration() {
    CommandRun tune = small("tune", "--hosts", "2", "--routing", "random", "--budget", "32MiB");

    assertThat(tune.status()).as(tune.toString()).isZero();
    assertThat(tune.out()).doesNotContain("hash-balance-factor").doesNotContain("RING_HASH");
  }

  @Test
  void tune_warmPools_saysMaxWarmIsNotSweptAndPrintsOneRow() {
    CommandRun tune = small("tune", "--budget", "8MiB");

    assertThat(tune.status()).as(tune.toString()).isZero();
    assertThat(tune.out())
        .contains("max-warm is the pool's default (the slot count) and not swept")
        .contains(".maxUnusedWarmSlots(64)");
    assertThat(tune.out().lines().filter(l -> l.contains("resident budget 8 MiB  "))).hasSize(1);
  }

  @Test
  void tune_tiedThresholds_sayWhichTheAnswerTakesAndWhy() {
    CommandRun tune = small("tune", "--max-warm", "0,16,64", "--budget", "8MiB", "-q");

    assertThat(tune.status()).as(tune.toString()).isZero();
    assertThat(tune.out())
        .contains("max-warm changed nothing: the pools start warm")
        .contains("max-warm 0 to 64 tie (3 values tried, equal hit rate and cost); the answer")
        .contains("takes 64, the pool's default (as many as slots).")
        .contains(".maxUnusedWarmSlots(64)");
  }
}
