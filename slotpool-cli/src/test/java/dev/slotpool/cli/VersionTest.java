package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code slotpool --version} names the pom's version and the commit the build was made from, both
 * in process and through the real {@code ./slotpool} launcher.
 */
class VersionTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  // The pom's version, handed over by surefire (slotpool-cli/pom.xml).
  private static final String POM_VERSION = System.getProperty("slotpool.pom.version");

  @Test
  void version_namesThePomVersionAndTheCommit() throws Exception {
    CommandRun run = CommandRun.of("--version");

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(POM_VERSION).isNotBlank();
    String commit = headCommit();
    if (commit == null) { // built from a source archive: the build could not read a commit either
      assertThat(run.out().strip()).isEqualTo("slotpool " + POM_VERSION + " (commit unknown)");
    } else {
      assertThat(run.out().strip())
          .matches("slotpool \\Q" + POM_VERSION + "\\E \\(commit [0-9a-f]{12}\\)");
      assertThat(commit).startsWith(run.out().strip().split("commit ")[1].substring(0, 12));
    }
  }

  @Test
  void launcher_printsTheSameVersion() throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(ROOT.resolve("slotpool").toString(), "--version")
            .directory(ROOT.toFile());
    builder.environment().put("SLOTPOOL_NO_BUILD", "1");
    builder.environment().remove("JAVA_HOME");
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(process.exitValue()).as(err).isZero();
    assertThat(out).isEqualTo(CommandRun.of("--version").out());
  }

  @Test
  void describe_withoutARepository_saysTheCommitIsUnknown() {
    Properties unfiltered = new Properties(); // a source archive: no commit file
    unfiltered.setProperty("version", "1.2.3");
    unfiltered.setProperty("commit", "");

    assertThat(Slotpool.Version.describe(unfiltered)).isEqualTo("slotpool 1.2.3 (commit unknown)");
    assertThat(Slotpool.Version.describe(new Properties()))
        .isEqualTo("slotpool (unknown version) (commit unknown)");
  }

  /** HEAD's full commit id, or null where there is no git or no repository. */
  private static String headCommit() {
    try {
      Process git =
          new ProcessBuilder("git", "rev-parse", "HEAD")
              .directory(ROOT.toFile())
              .redirectErrorStream(true)
              .start();
      String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return git.waitFor(30, TimeUnit.SECONDS) && git.exitValue() == 0 ? out : null;
    } catch (java.io.IOException | InterruptedException e) {
      return null;
    }
  }
}
