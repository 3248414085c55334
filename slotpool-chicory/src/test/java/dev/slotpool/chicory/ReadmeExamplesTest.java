package dev.slotpool.chicory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
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
 * Compiles each example of the README exactly as a reader would copy it, runs it in a fresh JVM,
 * and checks that it prints what the README says it prints. It lives in this module because its
 * test class path holds every library layer.
 */
class ReadmeExamplesTest {
  private static final Path README = Path.of("..", "README.md");

  @TempDir Path dir;

  @Test
  void quickStart_indexAllocator() throws Exception {
    assertExampleRunsAsShown("QuickStart");
  }

  @Test
  void pooledMemoryExample() throws Exception {
    assertExampleRunsAsShown("PooledMemoryExample");
  }

  @Test
  void pooledChicoryExample_withTheCGreetProgram() throws Exception {
    Path wasm = dir.resolve("c-greet.wasm");
    try (var in =
        ReadmeExamplesTest.class.getResourceAsStream("/dev/slotpool/testkit/wasm/c-greet.wasm")) {
      Files.write(wasm, in.readAllBytes());
    }
    assertExampleRunsAsShown("PooledChicory", wasm.toString());
  }

  private void assertExampleRunsAsShown(String className, String... args) throws Exception {
    String readme = Files.readString(README);
    String source = javaBlockDeclaring(readme, "public class " + className + " ");
    String expectedOutput = outputBlockAfter(readme, source);

    Path file = dir.resolve(className + ".java");
    Files.writeString(file, source);
    String classpath = dir + File.pathSeparator + System.getProperty("java.class.path");
    run(tool("javac"), "-Xlint:all", "-Werror", "-cp", classpath, "-d", dir, file);

    List<Object> java =
        new ArrayList<>(
            List.of(tool("java"), "--enable-native-access=ALL-UNNAMED", "-cp", classpath));
    java.add(className);
    java.addAll(List.of(args));
    String printed = run(java.toArray());
    assertThat(printed.strip()).isEqualTo(expectedOutput.strip());
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

  /** The first {@code ```text} block after the given source: the output the README promises. */
  private static String outputBlockAfter(String markdown, String source) {
    int from = markdown.indexOf(source) + source.length();
    Matcher m = Pattern.compile("```text\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
    assertThat(m.find(from)).as("an output block after the example").isTrue();
    return m.group(1);
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
}
