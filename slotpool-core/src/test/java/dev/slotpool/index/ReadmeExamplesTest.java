package dev.slotpool.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles the README's quick start exactly as a reader would copy it, runs it, and checks that it
 * prints what the README says it prints.
 */
class ReadmeExamplesTest {
  private static final Path README = Path.of("..", "README.md");

  @Test
  void quickStart_compilesRunsAndPrintsWhatTheReadmeShows(@TempDir Path dir) throws Exception {
    String readme = Files.readString(README);
    String source = javaBlockDeclaring(readme, "class QuickStart");
    String expectedOutput = outputBlockAfter(readme, source);

    Path file = dir.resolve("QuickStart.java");
    Files.writeString(file, source);
    String classpath = dir + java.io.File.pathSeparator + System.getProperty("java.class.path");
    run(tool("javac"), "-Xlint:all", "-Werror", "-cp", classpath, "-d", dir, file);

    String printed = run(tool("java"), "-cp", classpath, "QuickStart");
    assertThat(printed.strip()).isEqualTo(expectedOutput.strip());
  }

  /** A tool of the JDK running the tests, the same JDK 25 the build selected. */
  private static Path tool(String name) {
    return Path.of(System.getProperty("java.home"), "bin", name);
  }

  private static String run(Object... command) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>();
    for (Object arg : command) {
      args.add(arg.toString());
    }
    Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as("%s:%n%s", args, output).isZero();
    return output;
  }

  private static String javaBlockDeclaring(String markdown, String declaration) {
    Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
    List<String> found = new ArrayList<>();
    while (m.find()) {
      if (m.group(1).contains(declaration)) {
        found.add(m.group(1));
      }
    }
    assertThat(found).as("README java blocks declaring %s", declaration).hasSize(1);
    return found.getFirst();
  }

  /** The first plain ``` block after the given source: the output the README promises. */
  private static String outputBlockAfter(String markdown, String source) {
    int from = markdown.indexOf(source) + source.length();
    Matcher m = Pattern.compile("```(?:text)?\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
    assertThat(m.find(from + 3)).as("an output block after the quick start").isTrue();
    return m.group(1);
  }
}
