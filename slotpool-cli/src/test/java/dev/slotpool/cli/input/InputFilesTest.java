package dev.slotpool.cli.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InputFiles}: the size bound of a file read whole, and the silence bound of a FIFO, here
 * with a short bound (the command's is {@link InputFiles#FIFO_SILENCE_SECONDS}).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class InputFilesTest {
  private static final long SHORT = TimeUnit.MILLISECONDS.toNanos(300);

  @TempDir Path dir;

  private Path fifo() throws IOException, InterruptedException {
    Path fifo = dir.resolve("f.fifo");
    Process mkfifo;
    try {
      mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    } catch (IOException e) {
      mkfifo = null;
    }
    assumeTrue(mkfifo != null && mkfifo.waitFor() == 0, "mkfifo is available");
    return fifo;
  }

  @Test
  void readAll_takesAFileOfTheBoundAndRefusesOneByteMore() throws IOException {
    Path file = Files.write(dir.resolve("f"), new byte[100]);

    assertThat(InputFiles.readAll("--x", file, 100)).hasSize(100);
    assertThatThrownBy(() -> InputFiles.readAll("--x", file, 99))
        .isInstanceOf(BadInputException.class)
        .hasMessage("--x: " + file + " is 100 B, (expected: at most 99 B)");
  }

  @Test
  void fifoThatNoProgramWrites_failsOnceSilentForTheBound() throws Exception {
    Path fifo = fifo();

    try (InputStream in = InputFiles.openStream("trace", fifo, SHORT)) {
      assertThatThrownBy(in::read)
          .isInstanceOf(BadInputException.class)
          .hasMessage(
              "trace: "
                  + fifo
                  + " is a FIFO that no program writes to for 0.3 s (expected: a file, or a FIFO a"
                  + " running program writes)");
    }
  }

  @Test
  void fifoWhoseWriterFallsSilent_failsAfterWhatItSent() throws Exception {
    Path fifo = fifo();
    CountDownLatch done = new CountDownLatch(1);
    var writer =
        CompletableFuture.runAsync(
            () -> {
              try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write("abc".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                done.await();
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });

    try (InputStream in = InputFiles.openStream("trace", fifo, SHORT)) {
      assertThat(new String(in.readNBytes(3), StandardCharsets.US_ASCII)).isEqualTo("abc");
      assertThatThrownBy(in::read)
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("is a FIFO whose writer sent nothing for 0.3 s");
    } finally {
      done.countDown();
    }
    writer.get(5, TimeUnit.SECONDS);
  }

  @Test
  void fifoThatEnds_readsToTheEnd() throws Exception {
    Path fifo = fifo();
    byte[] data = new byte[200_000]; // several of the pump's chunks
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    var writer =
        CompletableFuture.runAsync(
            () -> {
              try {
                Files.write(fifo, data);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });

    try (InputStream in = InputFiles.openStream("trace", fifo, SHORT)) {
      assertThat(in.readAllBytes()).isEqualTo(data);
      assertThat(in.read()).isEqualTo(-1);
    }
    writer.get(5, TimeUnit.SECONDS);
  }
}
