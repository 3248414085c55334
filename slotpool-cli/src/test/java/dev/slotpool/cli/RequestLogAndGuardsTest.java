package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request logs, gz and stdin traces, measured costs, and the guard rails before and after a run.
 */
class RequestLogAndGuardsTest {
  private static final String LOG =
      """
      # two modules, requests overlapping in time
      timestamp, key, duration, resident_bytes
      0.0, a, 1.0, 4096   # a request for a
      0.5, b, 1.0, 8192
      2.0, a, 1.0, 4096   # a's slot is warm again
      2.5, b, 0.1, 8192
      """;

  private static List<String> rows(String out) {
    return out.lines().filter(l -> !l.startsWith("#")).toList();
  }

  private static CommandRun trace(String file, String... more) {
    String[] args = new String[6 + more.length];
    System.arraycopy(
        new String[] {"simulate", "--slots", "4", "-p", "affinity", "-w"}, 0, args, 0, 6);
    args[5] = "-w";
    String[] all = new String[args.length + 1];
    System.arraycopy(args, 0, all, 0, 6);
    all[6] = "trace:" + file;
    System.arraycopy(more, 0, all, 7, more.length);
    return CommandRun.of(all);
  }

  @Test
  void requestLog_withHeaderAndComments_isReplayedInTimeOrder(@TempDir Path dir)
      throws IOException {
    Path log = dir.resolve("requests.csv");
    Files.writeString(log, LOG);

    CommandRun run = trace(log.toString(), "-m", "4", "--format", "csv");

    assertThat(run.status()).as(run.toString()).isZero();
    // 4 requests: a cold, b cold, then both hit their warm slots; 8 events
    assertThat(rows(run.out()).get(1))
        .startsWith("affinity,4,adaptive,,67108864,4,1,2,8,4,0.500000,2,0,0,");
  }

  @Test
  void requestLog_columnsCanBeRenamed_andGzipAndStdinWork(@TempDir Path dir) throws IOException {
    String renamed = LOG.replace("timestamp, key, duration", "start, module, ms");
    Path gz = dir.resolve("requests.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(renamed.getBytes(StandardCharsets.UTF_8));
    }
    String[] columns = {
      "--time-column", "start", "--key-column", "module", "--duration-column", "ms", "-m", "4"
    };

    CommandRun fromGz = trace(gz.toString(), columns);
    InputStream stdin = System.in;
    CommandRun fromStdin;
    try {
      System.setIn(new ByteArrayInputStream(renamed.getBytes(StandardCharsets.UTF_8)));
      fromStdin = trace("-", columns);
    } finally {
      System.setIn(stdin);
    }

    assertThat(fromGz.status()).as(fromGz.toString()).isZero();
    assertThat(fromGz.out()).contains("50.00%");
    assertThat(fromStdin.status()).as(fromStdin.toString()).isZero();
    assertThat(fromStdin.out()).contains("trace:<stdin>").contains("50.00%");
  }

  @Test
  void requestLog_missingColumn_namesItAndTheOption(@TempDir Path dir) throws IOException {
    Path log = dir.resolve("r.csv");
    Files.writeString(log, "when,key,duration\n1,a,1\n");

    CommandRun run = trace(log.toString());

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err().lines()).hasSize(1);
    assertThat(run.err()).contains(log + ":1: no column 'timestamp'").contains("--time-column");
  }

  @Test
  void unboundedLine_isRefusedAtOnce(@TempDir Path dir) throws IOException {
    Path noBreaks = dir.resolve("zero.csv");
    Files.write(noBreaks, new byte[200_000]); // like /dev/zero: no line break

    CommandRun run = trace(noBreaks.toString());

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains(":1: line longer than 65536 characters");
  }

  @Test
  void traceBytesThatWouldOverflowTheSums_areRefused(@TempDir Path dir) throws IOException {
    Path t = dir.resolve("big.csv");
    Files.writeString(
        t, "alloc,a\nalloc,b\nfree,0,9000000000000000000\nfree,1,9000000000000000000\n");

    CommandRun run = trace(t.toString());

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err().lines()).hasSize(1);
    assertThat(run.err()).contains(":3: BYTES '9000000000000000000' is not a count");
  }

  @Test
  void issue10CliCases_eachPrintOneLineAndExitTwo(@TempDir Path dir) {
    List<String[]> cases =
        List.of(
            new String[] {
              "simulate", "--bytes-per-slot", "1e18", "--keep-resident", "1e18", "-m", "1000"
            },
            new String[] {"simulate", "-w", "phased", "--phases", "2147483647"},
            new String[] {"bench", "memory", "--keep-resident", "2MiB"},
            new String[] {"simulate", "--slots", "268435456"},
            new String[] {"simulate", "--ops", "10000000000000"},
            new String[] {"simulate", "--ops", "1000", "--out", "/proc/version/x"},
            new String[] {"simulate", "--model", "seed", "--hosts", "2"},
            new String[] {"simulate", "--routing", "ring"},
            new String[] {"simulate", "--service", "weibull"});
    for (String[] args : cases) {
      CommandRun run = CommandRun.of(args);
      assertThat(run.status()).as("%s: %s", String.join(" ", args), run).isEqualTo(2);
      assertThat(run.err().lines()).as(String.join(" ", args)).hasSize(1);
      assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
      assertThat(run.out()).isEmpty();
    }
  }

  @Test
  void longRun_isRefusedWithAnEstimate_unlessForced() {
    CommandRun run = CommandRun.of("simulate", "--ops", "10000000000000");

    assertThat(run.err())
        .contains("--ops: ")
        .contains("estimated (expected: at most 1 hour")
        .contains("--force");
  }

  @Test
  void overloadedPool_warns_andBestSkipsTheFailingRuns() {
    // 40 requests in flight on average against 32 slots: many arrivals find no slot.
    CommandRun run =
        CommandRun.of(
            "simulate",
            "--slots",
            "32",
            "--keys",
            "50",
            "--ops",
            "20000",
            "--concurrency",
            "40",
            "-m",
            "0,8");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.err())
        .contains("warning: ")
        .contains("failed more than 1% of their allocations");
    assertThat(run.out()).contains("Best: none: every run failed more than 1%");
  }

  @Test
  void costsFile_fromBenchWasm_drivesSimulate(@TempDir Path dir) throws IOException {
    Path wasm = dir.resolve("add.wasm");
    Files.write(wasm, BenchPoolsTest.MODULE);
    Path costs = dir.resolve("costs.csv");

    CommandRun bench =
        CommandRun.of(
            "bench",
            "wasm",
            wasm.toString(),
            "--warmup",
            "0",
            "--time",
            "0.02",
            "--costs-out",
            costs.toString());
    assertThat(bench.status()).as(bench.toString()).isZero();
    assertThat(bench.out()).contains("wasm/pool-default").contains("wasm/pool-fixed-keep-resident");
    String text = Files.readString(costs);
    assertThat(text).startsWith("# made by: slotpool bench wasm").contains("\nname,value\nhit_us,");

    CommandRun run =
        CommandRun.of(
            "simulate",
            "--slots",
            "64",
            "--keys",
            "100",
            "--ops",
            "20000",
            "-m",
            "8",
            "-p",
            "affinity",
            "--costs",
            costs.toString());
    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("measured costs");

    Files.writeString(costs, "name,value\nhit_us,1\nwarp_us,3\n");
    CommandRun bad = CommandRun.of("simulate", "--ops", "100", "--costs", costs.toString());
    assertThat(bad.status()).isEqualTo(2);
    assertThat(bad.err()).contains(costs + ":3: unknown name 'warp_us'");
  }

  @Test
  void fleet_reportsImbalanceAndMemoryPerHost() {
    CommandRun run =
        CommandRun.of(
            "simulate",
            "--slots",
            "50",
            "--keys",
            "100",
            "--ops",
            "20000",
            "--hosts",
            "4",
            "--routing",
            "bounded-hash",
            "-m",
            "8",
            "-p",
            "affinity");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("4 hosts of 50 slots (bounded-hash routing)")
        .contains("imbalance")
        .contains("peak/host");
  }

  @Test
  void tune_printsTheBuildersTheWasmtimeFlagsAndRust() {
    CommandRun run =
        CommandRun.of("tune", "--slots", "64", "--keys", "100", "--ops", "20000", "-m", "0,8,64");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("WasmInstancePool.builder()")
        .contains(".residentBudgetBytes(67108864L)")
        .contains("MemoryPool.builder().slots(64)")
        .contains("wasmtime run -O pooling-allocator=y,pooling-total-memories=64,")
        .contains("pooling-max-unused-warm-slots=")
        .contains("fn engine() -> wasmtime::Result<Engine> {")
        .contains("let mut config = Config::new();");
  }
}
