package dev.slotpool.cli.input;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads the files the command is given as hostile input: a file read whole must be a regular file
 * whose size is checked before a byte is read, so that {@code /dev/zero}, a directory or a FIFO
 * fails at once with one line instead of filling the heap or waiting for ever; a stream read line
 * by line (a trace) may also be a FIFO or a pipe, read with a bound on how long it may stay silent.
 * Every failure is a {@link BadInputException} that names the option and the file. Stateless.
 */
public final class InputFiles {
  /*
   * Implementation notes
   *
   * The type comes from the attributes (links followed), so /dev/fd/63 of a shell's <(...) is a
   * FIFO. Java cannot tell a FIFO from a device through BasicFileAttributes (both are "other");
   * the unix:mode attribute can, where the platform has it; without it every "other" is refused.
   *
   * A file read whole is read with readNBytes(max + 1), so a file that grows between the size check
   * and the read still cannot pass the bound.
   *
   * A FIFO blocks in open(2) until a writer comes and in read(2) while the writer is silent, and
   * neither can be interrupted. So a daemon thread opens and reads it into a small queue of
   * chunks, and the reader polls the queue with a time bound. A FIFO that never gets a writer is
   * released by opening it for writing once ourselves (which ends the daemon's open with an empty
   * stream); a writer that stays silent leaves the daemon blocked until it writes or closes, which
   * ends the command no later, since the thread is a daemon.
   */

  /** The largest module read: a WebAssembly binary of this size is far beyond real programs. */
  public static final long MAX_MODULE_BYTES = 256L << 20;

  /** The largest standard input given to a WASI program (held in memory, copied per request). */
  public static final long MAX_STDIN_BYTES = 64L << 20;

  /** The largest costs file: a few lines are expected. */
  public static final long MAX_COSTS_BYTES = 1L << 20;

  /** How long a FIFO may stay silent (no writer yet, or no data) before the read fails. */
  public static final long FIFO_SILENCE_SECONDS = 10;

  private static final int S_IFMT = 0170000;
  private static final int S_IFIFO = 0010000;
  private static final int CHUNK = 65_536;

  private InputFiles() {}

  /**
   * Reads a regular file of at most {@code maxBytes}.
   *
   * @param option the option or parameter that named the file, for the message
   * @throws BadInputException if it is missing, not a regular file, larger than {@code maxBytes} or
   *     cannot be read
   */
  public static byte[] readAll(String option, Path path, long maxBytes) {
    checkRegular(option, path, maxBytes);
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
    } catch (IOException e) {
      throw cannotRead(option, path, e);
    }
    if (bytes.length > maxBytes) {
      throw tooLarge(option, path, "grew past", maxBytes);
    }
    return bytes;
  }

  /**
   * Checks that {@code path} is a regular file of at most {@code maxBytes}, before it is opened.
   *
   * @throws BadInputException if not, naming {@code option} and the file
   */
  public static void checkRegular(String option, Path path, long maxBytes) {
    BasicFileAttributes attributes = attributes(option, path);
    if (attributes.isDirectory()) {
      throw new BadInputException(option + ": " + path + " is a directory (expected: a file)");
    }
    if (!attributes.isRegularFile()) {
      throw new BadInputException(
          option
              + ": "
              + path
              + " is not a regular file but "
              + (isFifo(path) ? "a FIFO or pipe" : "a device or socket")
              + " (expected: a file, whose size is known before it is read)");
    }
    if (attributes.size() > maxBytes) {
      throw tooLarge(option, path, "is " + Sizes.format(attributes.size()) + ",", maxBytes);
    }
  }

  /**
   * Opens a file read as a stream: a regular file, or a FIFO (a pipe such as a shell's {@code
   * <(...)}) whose reads fail once it has been silent for {@link #FIFO_SILENCE_SECONDS}.
   *
   * @throws BadInputException if it is missing, a directory, a device or cannot be opened
   */
  public static InputStream openStream(String option, Path path) {
    return openStream(option, path, TimeUnit.SECONDS.toNanos(FIFO_SILENCE_SECONDS));
  }

  /** As {@link #openStream(String, Path)}, with a FIFO's silence bound in nanoseconds. */
  static InputStream openStream(String option, Path path, long silenceNanos) {
    BasicFileAttributes attributes = attributes(option, path);
    if (attributes.isDirectory()) {
      throw new BadInputException(option + ": " + path + " is a directory (expected: a file)");
    }
    if (!attributes.isRegularFile() && !isFifo(path)) {
      throw new BadInputException(
          option
              + ": "
              + path
              + " is not a regular file but a device or socket (expected: a file or a FIFO)");
    }
    try {
      return attributes.isRegularFile()
          ? Files.newInputStream(path)
          : new FifoStream(option, path, silenceNanos);
    } catch (IOException e) {
      throw cannotRead(option, path, e);
    }
  }

  private static BasicFileAttributes attributes(String option, Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new BadInputException(option + ": " + path + ": cannot read: no such file");
    } catch (IOException | SecurityException e) {
      throw new BadInputException(
          option + ": cannot read " + path + " (" + e.getMessage() + ") (expected: a file)");
    }
  }

  private static boolean isFifo(Path path) {
    try {
      return ((Integer) Files.getAttribute(path, "unix:mode") & S_IFMT) == S_IFIFO;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  private static BadInputException tooLarge(String option, Path path, String size, long max) {
    return new BadInputException(
        option + ": " + path + " " + size + " (expected: at most " + Sizes.format(max) + ")");
  }

  private static BadInputException cannotRead(String option, Path path, IOException e) {
    return new BadInputException(
        option + ": cannot read " + path + " (" + e.getMessage() + ") (expected: a readable file)");
  }

  /** A FIFO read by a daemon thread, each read waiting at most a given time for data. */
  private static final class FifoStream extends InputStream {
    private static final byte[] END = new byte[0];

    private final String option;
    private final Path path;
    private final long silenceNanos;
    private final BlockingQueue<Object> chunks = new ArrayBlockingQueue<>(4);
    private final Thread pump;
    private volatile boolean opened;
    private byte[] current = new byte[0];
    private int position;
    private boolean ended;

    FifoStream(String option, Path path, long silenceNanos) {
      this.option = option;
      this.path = path;
      this.silenceNanos = silenceNanos;
      this.pump = Thread.ofPlatform().daemon().name("slotpool-fifo").unstarted(this::pump);
      pump.start();
    }

    private void pump() {
      try (InputStream in = Files.newInputStream(path)) {
        opened = true;
        while (true) {
          byte[] buffer = new byte[CHUNK];
          int n = in.read(buffer);
          if (n < 0) {
            chunks.put(END);
            return;
          }
          chunks.put(n == CHUNK ? buffer : Arrays.copyOf(buffer, n));
        }
      } catch (IOException e) {
        chunks.offer(e);
      } catch (InterruptedException e) {
        // Closed by the reader.
      }
    }

    private String silence() {
      double seconds = silenceNanos / 1e9;
      return (seconds == Math.rint(seconds) ? Long.toString((long) seconds) : seconds) + " s";
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (position == current.length) {
        if (ended) {
          return -1;
        }
        Object next;
        try {
          next = chunks.poll(silenceNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while reading " + path);
        }
        if (next == null) {
          throw new BadInputException(
              option
                  + ": "
                  + path
                  + " is a FIFO "
                  + (opened ? "whose writer sent nothing" : "that no program writes to")
                  + " for "
                  + silence()
                  + " (expected: a file, or a FIFO a running program writes)");
        }
        if (next instanceof IOException e) {
          throw e;
        }
        current = (byte[]) next;
        position = 0;
        ended = current == END;
      }
      int n = Math.min(len, current.length - position);
      System.arraycopy(current, position, b, off, n);
      position += n;
      return n;
    }

    @Override
    public void close() {
      pump.interrupt();
      if (!opened && pump.isAlive()) {
        // A pump blocked in open(2) ends once a writer comes: be that writer, on a thread of its
        // own, since opening for writing blocks in turn if the pump has just gone.
        Thread.ofPlatform()
            .daemon()
            .name("slotpool-fifo-release")
            .start(
                () -> {
                  try {
                    // Opening is enough; closing it ends the pump's stream.
                    Files.newOutputStream(path).close();
                  } catch (IOException | RuntimeException e) {
                    // The FIFO went away: nothing waits on it.
                  }
                });
      }
    }
  }
}
