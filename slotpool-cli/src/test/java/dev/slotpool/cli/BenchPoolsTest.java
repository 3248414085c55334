package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import dev.slotpool.testkit.wasm.TestModules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench memory and bench wasm, run for a few milliseconds each: output shape, not speed. */
class BenchPoolsTest {
  private static final String[] QUICK = {"--warmup", "0", "--time", "0.02"};

  /** One page holding "hello" at 0, exporting add(i32, i32) -> i32 and load(i32) -> i32. */
  static final byte[] MODULE = TestModules.addLoadModule();

  private static Path module(Path dir) throws IOException {
    Path file = dir.resolve("add.wasm");
    Files.write(file, MODULE);
    return file;
  }

  private static CommandRun bench(String... args) {
    String[] all = new String[args.length + QUICK.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(QUICK, 0, all, args.length, QUICK.length);
    return CommandRun.of(all);
  }

  @Test
  void benchWasm_invokesTheExportAndTimesFiveWays(@TempDir Path dir) throws IOException {
    CommandRun run = bench("bench", "wasm", module(dir).toString(), "--invoke", "add", "2", "3");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("add(2, 3) = [5]").contains("us/op");
    assertThat(run.out().lines().map(l -> l.split(" ")[0]))
        .contains(
            "wasm/plain",
            "wasm/pool-default",
            "wasm/prepared",
            "wasm/pool-fixed-keep-resident",
            "wasm/pool-evict");
    // the prepared case's speed is plain's time over its own, as the other cases'
    double plain = micros(run.out(), "wasm/plain");
    Matcher prepared =
        Pattern.compile("(?m)^wasm/prepared +([0-9.]+) +[0-9,]+ +([0-9.]+)x$").matcher(run.out());
    assertThat(prepared.find()).as(run.out()).isTrue();
    assertThat(Double.parseDouble(prepared.group(2)))
        .isCloseTo(plain / Double.parseDouble(prepared.group(1)), withinPercentage(2));
    BenchWasmTest.assertRecycledAllButOne(run.out());
  }

  private static double micros(String out, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + " +([0-9.]+) ").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void benchWasm_moduleThatCannotRecycle_saysWhyInsteadOfATime(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("no-memory.wasm");
    Files.write(file, TestModules.noMemoryModule());

    CommandRun table = bench("bench", "wasm", file.toString(), "--invoke", "add", "2", "3");
    CommandRun csv =
        bench("bench", "wasm", file.toString(), "--invoke", "add", "2", "3", "-f", "csv");

    String why =
        "wasm/prepared: not recycled: MEMORY_LAYOUT (it does not define exactly one memory); its"
            + " request was run once and checked, not timed";
    assertThat(table.status()).as(table.toString()).isZero();
    assertThat(table.out()).containsPattern("(?m)^wasm/prepared +n/a$").contains(why);
    assertThat(micros(table.out(), "wasm/pool-default")).isPositive();
    assertThat(csv.status()).as(csv.toString()).isZero();
    assertThat(csv.out().lines()).contains("wasm/prepared,").doesNotContain(why);
    assertThat(csv.err()).contains(why);
  }

  @Test
  void benchWasm_readsTheDataSegmentThroughEveryPath(@TempDir Path dir) throws IOException {
    CommandRun run =
        bench("bench", "wasm", module(dir).toString(), "--invoke", "load", "1", "-f", "csv");

    assertThat(run.status()).as(run.toString()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("case,ns_per_op");
    assertThat(lines.subList(1, lines.size()))
        .extracting(l -> l.split(",")[0])
        .containsExactly(
            "wasm/plain",
            "wasm/pool-default",
            "wasm/prepared",
            "wasm/pool-fixed-keep-resident",
            "wasm/pool-evict");
  }

  @Test
  void benchWasm_badInput(@TempDir Path dir) throws IOException {
    Path file = module(dir);
    assertOneLine(bench("bench", "wasm", dir.resolve("none.wasm").toString()), "no such file");
    assertOneLine(
        bench("bench", "wasm", file.toString(), "--invoke", "mul", "1"),
        "--invoke mul: " + file + " exports no such function (expected one of: add, load)");
    assertOneLine(
        bench("bench", "wasm", file.toString(), "--invoke", "add", "1"),
        "--invoke add: 1 argument(s) given (expected: 2: i32, i32)");
    assertOneLine(
        bench("bench", "wasm", file.toString(), "--invoke", "add", "1", "x"),
        "argument 2 'x' is not of type i32");
    Path junk = dir.resolve("junk.wasm");
    Files.writeString(junk, "not wasm");
    assertOneLine(bench("bench", "wasm", junk.toString()), "not a WebAssembly module");
  }

  @Test
  void benchMemory_timesArenaAndPooledSlots() {
    CommandRun run = bench("bench", "memory", "--image", "256KiB", "--touch", "16KiB", "-f", "csv");

    assertThat(run.status()).as(run.toString()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("case,ns_per_op");
    assertThat(lines.subList(1, lines.size()))
        .extracting(l -> l.split(",")[0])
        .containsExactly(
            "memory/arena-copy",
            "memory/pooled-cold",
            "memory/pooled-warm",
            "memory/pooled-warm-confined");
    assertThat(lines.subList(1, lines.size()))
        .allSatisfy(l -> assertThat(Double.parseDouble(l.split(",")[1])).isPositive());
  }

  @Test
  void benchMemory_badInput() {
    assertOneLine(
        bench("bench", "memory", "--touch", "2MiB"), "--touch: 2097152 (expected: at most");
    assertOneLine(CommandRun.of("bench", "memory", "--time", "0"), "--time: 0.0 (expected");
  }

  private static void assertOneLine(CommandRun run, String expected) {
    assertThat(run.status()).as(run.toString()).isEqualTo(2);
    assertThat(run.err().lines()).as(run.toString()).hasSize(1);
    assertThat(run.err()).contains(expected).doesNotContain("Exception");
  }
}
