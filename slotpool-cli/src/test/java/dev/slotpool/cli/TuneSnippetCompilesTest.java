package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java that {@code slotpool tune} tells a user to paste compiles against this build's builders,
 * both the {@code WasmInstancePool} statement and the {@code MemoryPool} one in its comment, in the
 * adaptive mode (a resident budget) and the fixed one (keep-resident bytes).
 */
class TuneSnippetCompilesTest {
  private static final String RAW = "// or, for raw memories: ";

  @TempDir Path dir;

  @Test
  void adaptiveSnippet_compiles() throws Exception {
    assertSnippetCompiles("Adaptive", "--slots", "64", "--keys", "100", "--ops", "20000");
  }

  @Test
  void fixedSnippet_compiles() throws Exception {
    assertSnippetCompiles(
        "Fixed", "--slots", "64", "--keys", "100", "--ops", "20000", "--reset", "fixed");
  }

  private void assertSnippetCompiles(String name, String... tuneArgs) throws Exception {
    String[] args = new String[tuneArgs.length + 1];
    args[0] = "tune";
    System.arraycopy(tuneArgs, 0, args, 1, tuneArgs.length);
    CommandRun run = CommandRun.of(args);
    assertThat(run.status()).as(run.toString()).isZero();

    String snippet = javaSnippet(run.out());
    assertThat(snippet).contains("WasmInstancePool.builder()").contains(RAW);
    String raw = snippet.substring(snippet.indexOf(RAW) + RAW.length()).strip();
    String source =
        String.join(
            "\n",
            "import dev.slotpool.chicory.WasmInstancePool;",
            "import dev.slotpool.memory.MemoryPool;",
            "",
            "class " + name + " {",
            "  static void configure() {",
            snippet.substring(0, snippet.indexOf(RAW)),
            "  MemoryPool memoryPool = " + raw,
            "  }",
            "}",
            "");
    Path file = dir.resolve(name + ".java");
    Files.writeString(file, source);
    Process javac =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-Xlint:all",
                "-cp",
                System.getProperty("java.class.path"),
                "-d",
                dir.toString(),
                file.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(javac.waitFor()).as("javac of%n%s%n%s", source, output).isZero();
    assertThat(dir.resolve(name + ".class")).exists();
  }

  /** The lines after "slotpool (Java), per host:" up to the first blank line. */
  private static String javaSnippet(String out) {
    List<String> lines = out.lines().toList();
    int start = lines.indexOf("slotpool (Java), per host:");
    assertThat(start).as("the Java heading in%n%s", out).isNotNegative();
    StringBuilder snippet = new StringBuilder();
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.isBlank()) {
        break;
      }
      snippet.append(line).append('\n');
    }
    return snippet.toString();
  }
}
