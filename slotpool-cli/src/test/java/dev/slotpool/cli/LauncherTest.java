package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the real {@code ./slotpool} launcher. The build has written the class path and the JDK's
 * settings by the time tests run; SLOTPOOL_NO_BUILD makes the launcher fail rather than start a
 * nested Maven build if they were stale.
 */
class LauncherTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  private static Process start(String... args) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of(ROOT.resolve("slotpool").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
    builder.environment().put("SLOTPOOL_NO_BUILD", "1");
    builder.environment().remove("JAVA_HOME");
    return builder.start();
  }

  private static String[] finish(Process process) throws Exception {
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new String[] {out, err};
  }

  @Test
  void launcher_runsSimulate() throws Exception {
    assertThat(Files.isExecutable(ROOT.resolve("slotpool"))).isTrue();
    Process process =
        start(
            "simulate",
            "--slots",
            "32",
            "--ops",
            "10000",
            "-p",
            "affinity",
            "-m",
            "0,8",
            "-f",
            "csv");
    String[] output = finish(process);

    assertThat(process.exitValue()).as(output[1]).isZero();
    assertThat(output[0].lines().filter(line -> !line.startsWith("#")).toList())
        .hasSize(3)
        .first()
        .asString()
        .startsWith("policy,max_warm,");
  }

  @Test
  void launcher_badInput_exitsWithTwo() throws Exception {
    Process process = start("simulate", "--workload", "nope");
    String[] output = finish(process);

    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output[1].strip()).startsWith("slotpool simulate: --workload: unknown workload");
  }
}
