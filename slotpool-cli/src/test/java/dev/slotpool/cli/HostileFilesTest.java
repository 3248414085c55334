package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.slotpool.testkit.wasm.WasmBuilder;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file the command reads or writes is hostile: a device, a directory, a FIFO, a huge file, an
 * output path that cannot be written. Each is one line on stderr and exit 2, before any work, and
 * never a hang or an OutOfMemoryError (issue 24, items 7, 9 and 10).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HostileFilesTest {
  private static final byte[] NONE = {};

  @TempDir Path dir;

  private Path module() throws IOException {
    Path file = dir.resolve("m.wasm");
    Files.write(
        file,
        new WasmBuilder()
            .memory(1, 1)
            .function("init", NONE, NONE, new WasmBuilder.Code())
            .function("run", NONE, NONE, new WasmBuilder.Code())
            .build());
    return file;
  }

  private Path fifo(String name) throws IOException, InterruptedException {
    Path fifo = dir.resolve(name);
    Process mkfifo;
    try {
      mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    } catch (IOException e) {
      mkfifo = null;
    }
    assumeTrue(mkfifo != null && mkfifo.waitFor() == 0, "mkfifo is available");
    return fifo;
  }

  private static void assertOneLine(CommandRun run, String... expected) {
    assertThat(run.status()).as(run.toString()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(run.err()).as(run.toString()).hasLineCount(1).contains(expected);
    assertThat(run.err()).doesNotContain("Exception", "\tat ");
    assertThat(run.out()).as("nothing ran: " + run).isEmpty();
  }

  @Test
  void nonRegularInputs_areRefusedBeforeReading() throws Exception {
    Path wasm = module();
    Path fifo = fifo("input.fifo");
    Path costs = dir.resolve("costs.csv");
    Files.writeString(costs, "name,value\nhit_us,1\ncold_us,2\nevict_us,3\n");
    for (String bad : List.of("/dev/zero", dir.toString(), fifo.toString())) {
      String what = bad.equals("/dev/zero") ? "a device" : bad.equals(dir.toString()) ? "" : "FIFO";
      List<String[]> runs = new ArrayList<>();
      runs.add(new String[] {"FILE.wasm: " + bad, "bench", "wasm", bad});
      runs.add(
          new String[] {
            "--stdin: " + bad, "bench", "wasm", wasm.toString(), "--wasi", "--stdin", bad
          });
      runs.add(new String[] {"IN.wasm: " + bad, "snapshot", bad, "-o", dir + "/out.wasm"});
      runs.add(new String[] {"--costs: " + bad, "simulate", "--costs", bad, "--ops", "1000"});
      runs.add(new String[] {"--costs: " + bad, "tune", "--costs", bad, "--ops", "1000"});
      for (String[] run : runs) {
        String[] args = java.util.Arrays.copyOfRange(run, 1, run.length);
        assertOneLine(CommandRun.of(args), run[0], what);
      }
    }
    assertThat(dir.resolve("out.wasm")).doesNotExist();
  }

  @Test
  void oversizedModule_isRefusedByItsSize() throws IOException {
    Path huge = dir.resolve("huge.wasm");
    try (var file = new RandomAccessFile(huge.toFile(), "rw")) {
      file.setLength(300L << 20); // sparse: no disk used
    }

    assertOneLine(
        CommandRun.of("bench", "wasm", huge.toString()),
        "FILE.wasm: " + huge + " is 300 MiB, (expected: at most 256 MiB)");
    assertOneLine(
        CommandRun.of("snapshot", huge.toString(), "-o", dir + "/out.wasm"), "is 300 MiB");
  }

  @Test
  void traceFromAFifo_isStreamed() throws Exception {
    Path fifo = fifo("trace.fifo");
    byte[] log =
        "timestamp,key,duration\n0,a,1\n1,b,1\n2,a,1\n".getBytes(StandardCharsets.US_ASCII);
    var writer =
        CompletableFuture.runAsync(
            () -> {
              try {
                Files.write(fifo, log);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });

    CommandRun run = CommandRun.of("simulate", "--workload", "trace:" + fifo, "-q");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("trace:" + fifo + ":", "2 keys, 6 trace events");
    writer.get(5, TimeUnit.SECONDS);
  }

  @Test
  void traceFromADirectoryOrDevice_isRefused() {
    assertOneLine(CommandRun.of("simulate", "--workload", "trace:" + dir), dir + " is a directory");
    assertOneLine(
        CommandRun.of("simulate", "--workload", "trace:/dev/zero"),
        "/dev/zero is not a regular file but a device or socket");
  }

  @Test
  void snapshotOutput_isCheckedBeforeTheInit() throws IOException {
    String in = module().toString();
    String longName = dir.resolve("o".repeat(300) + ".wasm").toString();

    assertOneLine(
        CommandRun.of("snapshot", in, "--init", "init", "-o", dir.toString()),
        "--output: " + dir + " is a directory (expected: a file)");
    assertOneLine(
        CommandRun.of("snapshot", in, "--init", "init", "-o", dir + "/no/such/out.wasm"),
        "--output: cannot write",
        dir + "/no/such does not exist");
    assertOneLine(
        CommandRun.of("snapshot", in, "--init", "init", "-o", longName),
        "--output: a name of 305 bytes");
    if (Files.isDirectory(Path.of("/proc/self"))) {
      assertOneLine(
          CommandRun.of("snapshot", in, "--init", "init", "-o", "/proc/slotpool-test.wasm"),
          "--output: cannot write /proc/slotpool-test.wasm");
    }
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("m.wasm");
    }
  }

  @Test
  void simulateOut_isCheckedForEveryFileBeforeTheRun() throws IOException {
    Path out = dir.resolve("results");
    Files.createDirectories(out.resolve("simulate.csv"));
    Path file = Files.writeString(dir.resolve("file"), "x");

    // A billion steps would take minutes: the check comes first.
    assertOneLine(
        CommandRun.of("simulate", "--out", out.toString(), "--ops", "1000m"),
        "--out: " + out.resolve("simulate.csv") + " is a directory");
    assertOneLine(
        CommandRun.of("simulate", "--out", file.toString()),
        "--out: " + file + " is a file (expected: a directory");
  }

  @Test
  void costsOut_isCheckedBeforeTheBenchmark() throws IOException {
    String wasm = module().toString();
    String longName = dir.resolve("c".repeat(300) + ".csv").toString();

    assertOneLine(
        CommandRun.of("bench", "wasm", wasm, "--invoke", "run", "--costs-out", longName),
        "--costs-out: a name of 304 bytes");
    assertOneLine(
        CommandRun.of("bench", "wasm", wasm, "--invoke", "run", "--costs-out", dir.toString()),
        "--costs-out: " + dir + " is a directory");
  }

  @Test
  void costsFileValueOutOfRange_namesTheFileAndLine() throws IOException {
    Path costs = dir.resolve("costs.csv");
    Files.writeString(costs, "# measured\nname,value\nhit_us,1e14\ncold_us,2\nevict_us,3\n");
    Path pageSize = dir.resolve("page.csv");
    Files.writeString(pageSize, "name,value\nhit_us,1\ncold_us,2\nevict_us,3\npage_size,0.5\n");
    Path working = dir.resolve("working.csv");
    Files.writeString(
        working, "name,value\nhit_us,1\ncold_us,2\nevict_us,3\nbytes_per_slot,1e18\n");

    CommandRun hit = CommandRun.of("simulate", "--costs", costs.toString());
    CommandRun page = CommandRun.of("tune", "--costs", pageSize.toString());
    CommandRun bytes = CommandRun.of("simulate", "--costs", working.toString());

    assertOneLine(hit, costs + ":3: hit_us '1e14' (expected: microseconds, 0 <= US <= 1e12)");
    assertThat(hit.err()).doesNotContain("--cost-hit");
    assertOneLine(page, pageSize + ":5: page_size '0.5' (expected: a whole number of bytes");
    assertOneLine(bytes, working + ":5: bytes_per_slot '1e18'");
    assertThat(bytes.err()).doesNotContain("--bytes-per-slot");
  }
}
