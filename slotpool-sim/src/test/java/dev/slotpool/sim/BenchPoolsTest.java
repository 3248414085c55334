package dev.slotpool.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench memory and bench wasm, run for a few milliseconds each: output shape, not speed. */
class BenchPoolsTest {
  private static final String[] QUICK = {"--warmup", "0", "--time", "0.02"};

  /**
   * A module with one memory of one page holding "hello" at 0, exporting add(i32, i32) -> i32 and
   * load(i32) -> i32 (an 8-bit load), written out byte by byte.
   */
  static final byte[] MODULE = {
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00, // magic, version 1
    0x01,
    0x0c,
    0x02, // type section: 2 types
    0x60,
    0x02,
    0x7f,
    0x7f,
    0x01,
    0x7f, // (i32, i32) -> i32
    0x60,
    0x01,
    0x7f,
    0x01,
    0x7f, // (i32) -> i32
    0x03,
    0x03,
    0x02,
    0x00,
    0x01, // function section: add is type 0, load type 1
    0x05,
    0x03,
    0x01,
    0x00,
    0x01, // memory section: one memory, min 1 page
    0x07,
    0x0e,
    0x02, // export section: 2 exports
    0x03,
    'a',
    'd',
    'd',
    0x00,
    0x00, // "add" function 0
    0x04,
    'l',
    'o',
    'a',
    'd',
    0x00,
    0x01, // "load" function 1
    0x0a,
    0x11,
    0x02, // code section: 2 bodies
    0x07,
    0x00,
    0x20,
    0x00,
    0x20,
    0x01,
    0x6a,
    0x0b, // local.get 0, local.get 1, i32.add
    0x07,
    0x00,
    0x20,
    0x00,
    0x2d,
    0x00,
    0x00,
    0x0b, // local.get 0, i32.load8_u 0 0
    0x0b,
    0x0b,
    0x01, // data section: one segment
    0x00,
    0x41,
    0x00,
    0x0b,
    0x05,
    'h',
    'e',
    'l',
    'l',
    'o' // memory 0 at i32.const 0: "hello"
  };

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
  void benchWasm_invokesTheExportAndTimesThreeWays(@TempDir Path dir) throws IOException {
    CommandRun run = bench("bench", "wasm", module(dir).toString(), "--invoke", "add", "2", "3");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("add(2, 3) = [5]").contains("us/op");
    assertThat(run.out().lines().map(l -> l.split(" ")[0]))
        .contains(
            "wasm/default", "wasm/pooled-cold", "wasm/pooled-warm", "wasm/pooled-warm-confined");
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
            "wasm/default",
            "wasm/pooled-cold",
            "wasm/pooled-warm",
            "wasm/pooled-warm-confined",
            "wasm/pool-default",
            "wasm/pool-fixed-keep-resident");
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
