package dev.slotpool.bench.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed .wasm files are what {@code src/wasm/build.sh} makes from the committed sources.
 * Runs only where Debian's clang and wasi-libc are installed (CI has neither: it is skipped there).
 */
class RealModulesRebuildTest {
  private static final Path COMMITTED = Path.of("src/main/resources/dev/slotpool/bench/wasm");

  @Test
  void buildScript_rebuildsTheCommittedModulesByteForByte(@TempDir Path out) throws Exception {
    assumeTrue(
        succeeds("clang", "--version") && Files.isDirectory(Path.of("/usr/include/wasm32-wasi")),
        "clang and wasi-libc are not installed");
    Process build =
        new ProcessBuilder("sh", "src/wasm/build.sh", out.toString())
            .redirectErrorStream(true)
            .start();
    String log = new String(build.getInputStream().readAllBytes());
    assertThat(build.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(build.exitValue()).as(log).isZero();

    List<Path> built = wasmFiles(out);
    assertThat(built).isNotEmpty();
    for (Path f : built) {
      Path committed = COMMITTED.resolve(out.relativize(f));
      assertThat(Files.readAllBytes(f))
          .as(committed.toString())
          .isEqualTo(Files.readAllBytes(committed));
    }
    // Every committed module of our own was rebuilt, but the Rust one when rustc is missing.
    List<String> expected = new ArrayList<>();
    for (Path f : wasmFiles(COMMITTED)) {
      String rel = COMMITTED.relativize(f).toString();
      if (!rel.startsWith("rust-") || Files.isExecutable(Path.of("/usr/bin/rustc"))) {
        expected.add(rel);
      }
    }
    assertThat(built.stream().map(f -> out.relativize(f).toString()).toList())
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  private static List<Path> wasmFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.toString().endsWith(".wasm")).sorted().toList();
    }
  }

  private static boolean succeeds(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
