package dev.slotpool.chicory.real;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.WasmInstancePool;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * WASI programs from other toolchains (Go, TinyGo, Swift, Kotlin, .NET, Javy, Rust, C), from a
 * directory named by the system property {@code slotpool.corpus} (skipped without it; Chicory's
 * {@code wasm-corpus/src/main/resources/compiled} holds such programs): each program's requests on
 * a prepared module, the first built and the rest recycled, print, exit (or trap) and leave memory
 * and globals exactly as a plain Chicory instance running the same request does. Memory is compared
 * where plain Chicory itself leaves the same memory twice (Go, .NET and Kotlin runtimes read WASI's
 * monotonic clock, which no option fixes; their long numbers are masked in the output too);
 * programs that import more than WASI are skipped.
 */
class CorpusRecycleTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  static Stream<Path> programs() throws IOException {
    String dir = System.getProperty("slotpool.corpus");
    if (dir == null) {
      return Stream.of(Path.of("(slotpool.corpus not set)"));
    }
    return Files.list(Path.of(dir)).filter(p -> p.toString().endsWith(".wasm")).sorted();
  }

  /** What a request left behind: its output and exit code, and the instance's state after it. */
  record Outcome(String exit, String stdout, String stderr, String memory, String globals) {
    /** Without what a program that reads the monotonic clock changes from run to run. */
    Outcome withoutMemory() {
      return new Outcome(exit, masked(stdout), masked(stderr), "(not compared)", masked(globals));
    }

    /** Long numbers (timestamps, durations) masked. */
    private static String masked(String text) {
      return text.replaceAll("\\d{7,}", "#");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("programs")
  void recycledRequests_equalPlainChicory(Path program) {
    Assumptions.assumeTrue(
        System.getProperty("slotpool.corpus") != null, "no corpus (-Dslotpool.corpus=DIR)");
    WasmModule module = Parser.parse(program.toFile());
    String entry = entry(module);
    Assumptions.assumeTrue(entry != null, program + " has no entry point without parameters");
    Outcome expected;
    try {
      expected = plain(module, entry);
    } catch (UnlinkableException e) {
      Assumptions.abort(program + " imports more than WASI: " + e.getMessage());
      return;
    }
    boolean deterministic = plain(module, entry).equals(expected);
    if (!deterministic) {
      expected = expected.withoutMemory();
    }
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      PreparedModule<WasiOptions> prepared = pool.prepare(module, Linker.wasi());
      for (int i = 0; i < 3; i++) {
        var stdout = new ByteArrayOutputStream();
        var stderr = new ByteArrayOutputStream();
        Outcome outcome;
        try (PooledInstance pooled = prepared.instantiate(options(stdout, stderr))) {
          String exit = start(pooled.instance(), entry);
          outcome = outcome(pooled.instance(), exit, stdout, stderr);
        }
        if (!deterministic) {
          outcome = outcome.withoutMemory();
        }
        assertThat(outcome).as("%s request %d (%s)", program, i, prepared).isEqualTo(expected);
      }
      System.out.println(
          program.getFileName()
              + ": "
              + prepared.recycleStats()
              + (deterministic ? "" : " (memory not compared: plain Chicory differs run to run)"));
      if (prepared.recycles()) {
        assertThat(prepared.recycleStats().recycled()).isEqualTo(2);
      } else {
        assertThat(prepared.recycleStats().built()).isEqualTo(3);
      }
    }
  }

  private static Outcome plain(WasmModule module, String entry) {
    var stdout = new ByteArrayOutputStream();
    var stderr = new ByteArrayOutputStream();
    try (var wasi = WasiPreview1.builder().withOptions(options(stdout, stderr)).build()) {
      Instance instance =
          Instance.builder(module)
              .withImportValues(ImportValues.builder().addFunction(wasi.toHostFunctions()).build())
              .withStart(false)
              .build();
      String exit = start(instance, entry);
      return outcome(instance, exit, stdout, stderr);
    }
  }

  private static WasiOptions options(ByteArrayOutputStream stdout, ByteArrayOutputStream stderr) {
    return WasiOptions.builder()
        .withArguments(List.of("program", "Ada"))
        .withEnvironment("GREETING", "hello")
        .withStdin(new ByteArrayInputStream("Grace\nLinus\n".getBytes(StandardCharsets.UTF_8)))
        .withStdout(stdout)
        .withStderr(stderr)
        .withClock(CLOCK)
        .withRandom(new Random(1))
        .build();
  }

  /** Runs the program's entry point: its exit code, or the trap it ended with. */
  private static String start(Instance instance, String entry) {
    try {
      instance.export(entry).apply();
      return "exit 0";
    } catch (WasiExitException e) {
      return "exit " + e.exitCode();
    } catch (ChicoryException e) {
      return "trap " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static Outcome outcome(
      Instance instance, String exit, ByteArrayOutputStream stdout, ByteArrayOutputStream stderr) {
    var memory = instance.memory();
    byte[] bytes = memory.readBytes(0, memory.pages() * 65_536);
    var globals = new StringBuilder();
    for (int g = 0; g < instance.globalCount(); g++) {
      globals.append(instance.global(g).getValueLow()).append(',');
    }
    return new Outcome(
        exit,
        stdout.toString(StandardCharsets.UTF_8),
        stderr.toString(StandardCharsets.UTF_8),
        memory.pages() + " pages, sha256 " + sha256(bytes),
        globals.toString());
  }

  /**
   * A command's {@code _start}, else a reactor's {@code _initialize} (a Kotlin program's main runs
   * there), else an export {@code run} without parameters; null if there is none.
   */
  private static String entry(WasmModule module) {
    var exports = module.exportSection();
    String found = null;
    for (String name : List.of("run", "_initialize", "_start")) {
      for (int i = 0; i < exports.exportCount(); i++) {
        var export = exports.getExport(i);
        if (export.name().equals(name)
            && export.exportType() == ExternalType.FUNCTION
            && module
                .typeSection()
                .getType(functionType(module, export.index()))
                .params()
                .isEmpty()) {
          found = name;
        }
      }
    }
    return found;
  }

  private static int functionType(WasmModule module, int function) {
    int imported = module.importSection().count(ExternalType.FUNCTION);
    if (function >= imported) {
      return module.functionSection().getFunctionType(function - imported);
    }
    int seen = 0;
    for (int i = 0; i < module.importSection().importCount(); i++) {
      if (module.importSection().getImport(i) instanceof FunctionImport f && seen++ == function) {
        return f.typeIndex();
      }
    }
    throw new IllegalArgumentException("function " + function);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
