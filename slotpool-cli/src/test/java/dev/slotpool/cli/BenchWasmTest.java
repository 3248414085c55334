package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slotpool.cli.bench.HugeMethods;
import dev.slotpool.cli.bench.WasmBenches;
import dev.slotpool.cli.bench.WasmRequest;
import dev.slotpool.cli.bench.WasmRequestBench;
import dev.slotpool.cli.trace.CostsFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench wasm on a real WASI program (c-greet, compiled by clang + wasi-libc), for both runtimes and
 * Chicory's compiler, run for a few milliseconds per case: output and its checks, not speed.
 */
class BenchWasmTest {
  private static final String[] QUICK = {"--warmup", "0", "--time", "0.02"};

  /** What c-greet prints for the arguments Ada, Grace and the stdin of {@link #STDIN}. */
  private static final String GREETING =
      "Hello, Ada!\nHello, Grace!\nHello, Alan!\nHello, Barbara!\n4 greeted\n";

  private static final String STDIN = "Alan\n\nBarbara\n";

  /**
   * A WASI command that writes the 8 bytes of clock_time_get(realtime) to stdout: its output
   * differs from one request to the next.
   */
  private static final byte[] CLOCK =
      HexFormat.of()
          .parseHex(
              "0061736d0100000001130360037f7e7f017f60047f7f7f7f017f600000024b0216776173695f736e"
                  + "617073686f745f70726576696577310e636c6f636b5f74696d655f676574000016776173695f"
                  + "736e617073686f745f70726576696577310866645f77726974650001030201020503010001071302"
                  + "066d656d6f72790200065f737461727400020a27012500410042e807410010001a411041003602"
                  + "0041144108360200410141104101412010011a0b");

  @TempDir static Path dir;
  private static Path greet;
  private static Path stdin;

  @BeforeAll
  static void files() throws IOException {
    greet = dir.resolve("c-greet.wasm");
    try (InputStream in = BenchWasmTest.class.getResourceAsStream("c-greet.wasm")) {
      Files.write(greet, in.readAllBytes());
    }
    stdin = dir.resolve("names.txt");
    Files.writeString(stdin, STDIN);
  }

  private static CommandRun bench(String... args) {
    String[] head = {"bench", "wasm", greet.toString(), "--wasi", "--arg", "Ada", "--arg", "Grace"};
    String[] all = new String[head.length + args.length + QUICK.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(args, 0, all, head.length, args.length);
    System.arraycopy(QUICK, 0, all, head.length + args.length, QUICK.length);
    return CommandRun.of(all);
  }

  @Test
  void wasiProgram_getsItsArgumentsStdinAndEnvironment() throws IOException {
    WasmRequest request =
        new WasmRequest(
            greet.toString(),
            Files.readAllBytes(greet),
            null,
            List.of(),
            true,
            List.of("c-greet", "Ada", "Grace"),
            STDIN.getBytes(StandardCharsets.UTF_8),
            Map.of("LANG", "C"),
            false);
    for (WasmBenches.Runtime runtime : WasmBenches.Runtime.values()) {
      WasmRequestBench bench = WasmBenches.create(runtime, request);

      assertThat(bench.tryOnce())
          .isEqualTo("_start: exit 0, " + GREETING.length() + " bytes on stdout, 0 on stderr");
      assertThat(new String(bench.firstStdout(), StandardCharsets.UTF_8)).isEqualTo(GREETING);
    }
  }

  @Test
  void wasiProgram_chicoryInterpreter_timesFiveCasesWithTheSameOutput() {
    CommandRun run = bench("--stdin", stdin.toString());

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("(chicory, interpreter): _start: exit 0, " + GREETING.length() + " bytes")
        .contains("output checked")
        .contains("speed vs wasm/plain");
    assertThat(run.out().lines().map(l -> l.split(" ")[0]))
        .contains(
            "wasm/plain",
            "wasm/pool-default",
            "wasm/prepared",
            "wasm/pool-fixed-keep-resident",
            "wasm/pool-evict");
    assertThat(run.out()).containsPattern("(?m)^wasm/prepared +[0-9.]+ +[0-9,]+ +[0-9.]+x$");
    assertRecycledAllButOne(run.out());
  }

  /**
   * The prepared case's line: from one thread on one slot, every instantiation but the slot's first
   * recycled the instance the one before parked.
   */
  static void assertRecycledAllButOne(String text) {
    Matcher m =
        Pattern.compile(
                "(?m)^wasm/prepared: ([0-9,]+) of ([0-9,]+) instantiations recycled their instance;"
                    + " 1 built one \\(NO_INSTANCE_ON_SLOT 1\\), warm-up included$")
            .matcher(text);
    assertThat(m.find()).as(text).isTrue();
    long recycled = Long.parseLong(m.group(1).replace(",", ""));
    long all = Long.parseLong(m.group(2).replace(",", ""));
    assertThat(recycled).isPositive().isEqualTo(all - 1);
  }

  @Test
  void wasiProgram_endive_andChicoryCompiler() {
    CommandRun endive = bench("--stdin", stdin.toString(), "--runtime", "endive", "-f", "csv");
    CommandRun compiler = bench("--stdin", stdin.toString(), "--engine", "compiler", "-f", "csv");

    // c-greet's one huge function is wasi-libc's printf core; CSV keeps the note off stdout.
    assertThat(endive.err()).doesNotContain("note:");
    if (HugeMethods.hugeMethodsCompiled()) {
      assertThat(compiler.err()).doesNotContain("note:"); // HotSpot compiles them here anyway
    } else {
      assertThat(compiler.err())
          .contains("note: 1 Wasm function compiles to a JVM method of more than 8,000 bytes")
          .contains("function 54: 10,685 bytes");
    }
    for (CommandRun run : List.of(endive, compiler)) {
      assertThat(run.status()).as(run.toString()).isZero();
      List<String> lines = run.out().lines().toList();
      assertThat(lines.getFirst()).isEqualTo("case,ns_per_op");
      assertThat(lines.subList(1, lines.size()))
          .extracting(l -> l.split(",")[0])
          .containsExactly(
              "wasm/plain",
              "wasm/pool-default",
              "wasm/prepared",
              "wasm/pool-fixed-keep-resident",
              "wasm/pool-evict");
      assertThat(lines.subList(1, lines.size()))
          .allSatisfy(l -> assertThat(Double.parseDouble(l.split(",")[1])).isPositive());
      // CSV keeps the recycling line off stdout too
      assertRecycledAllButOne(run.err());
    }
  }

  @Test
  void outputThatDiffersBetweenRequests_failsLoudly() throws IOException {
    Path clock = dir.resolve("clock.wasm");
    Files.write(clock, CLOCK);

    CommandRun run = CommandRun.of("bench", "wasm", clock.toString(), "--wasi", "--time", "0.02");

    assertThat(run.status()).as(run.toString()).isEqualTo(1);
    assertThat(run.err())
        .contains("clock.wasm: wasm/plain: stdout differs at byte 0")
        .contains("cannot be compared");
  }

  @Test
  void costsOut_writesMeasuredCostsThatSimulateReads() throws IOException {
    Path costs = dir.resolve("greet-costs.csv");

    CommandRun run = bench("--costs-out", costs.toString());

    assertThat(run.status()).as(run.toString()).isZero();
    String text = Files.readString(costs);
    assertThat(text)
        .contains("# runtime chicory, engine interpreter")
        .contains("\npage_fault_us,")
        .contains("\nbytes_per_slot,");
    CostsFile.Measured measured = CostsFile.read(costs);
    assertThat(measured.costs().hit()).isPositive();
    assertThat(measured.costs().eviction()).isPositive();
    assertThat(measured.costs().endToEnd()).isTrue();
    assertThat(measured.bytesPerSlot()).isPositive();
    CommandRun simulate =
        CommandRun.of(
            "simulate", "--ops", "20000", "-m", "8", "-p", "affinity", "--costs", costs.toString());
    assertThat(simulate.status()).as(simulate.toString()).isZero();
  }

  @Test
  void badInput_oneLineAndExit2() throws IOException {
    assertOneLine(
        bench("--runtime", "endive", "--engine", "compiler"),
        "--runtime endive --engine compiler: Endive's runtime compiler is published only at 1.0.0");
    assertOneLine(
        CommandRun.of("bench", "wasm", greet.toString()), "imports wasi_snapshot_preview1.");
    assertOneLine(
        CommandRun.of("bench", "wasm", greet.toString(), "--arg", "Ada"),
        "--arg, --stdin and --env need --wasi");
    assertOneLine(
        bench("--stdin", dir.resolve("none.txt").toString()),
        "--stdin: " + dir.resolve("none.txt"));
    assertOneLine(bench("--runtime", "wasmtime"), "--runtime");
    Path add = dir.resolve("add.wasm");
    Files.write(add, BenchPoolsTest.MODULE);
    assertOneLine(
        CommandRun.of("bench", "wasm", add.toString(), "--wasi"),
        "--wasi: the module exports no _start");
  }

  private static void assertOneLine(CommandRun run, String expected) {
    assertThat(run.status()).as(run.toString()).isEqualTo(2);
    assertThat(run.err().lines()).as(run.toString()).hasSize(1);
    assertThat(run.err()).contains(expected).doesNotContain("Exception");
  }
}
