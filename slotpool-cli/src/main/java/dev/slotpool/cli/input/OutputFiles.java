package dev.slotpool.cli.input;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Checks, before any work, that the files a command will write can be written: the run that would
 * find out only at its end (a directory where the file goes, a missing directory, a name the file
 * system refuses) fails at once with one line naming the option. Stateless.
 */
public final class OutputFiles {
  /*
   * Implementation notes
   *
   * A file that does not exist yet is created and deleted again: the file system itself answers
   * every question (a missing or read-only directory, a name too long, a full inode table), where
   * checking permissions would guess. A file that exists must be a regular, writable file; it is
   * not opened, so nothing in it changes. A FIFO or device is refused, as writing to one can block
   * or go nowhere.
   */

  /** The longest name of one path element, in bytes, on Linux's file systems. */
  static final int MAX_NAME_BYTES = 255;

  private OutputFiles() {}

  /**
   * Checks that {@code file} can be written: a regular writable file, or a new name in an existing
   * writable directory.
   *
   * @param option the option that named it, for the message
   * @throws BadInputException if not; nothing is left behind
   */
  public static void checkFile(String option, Path file) {
    Path absolute;
    try {
      absolute = file.toAbsolutePath();
    } catch (java.io.IOError | SecurityException e) {
      throw new BadInputException(option + ": " + file + " cannot be resolved (" + e + ")");
    }
    for (Path element : absolute) {
      int length = element.toString().getBytes(StandardCharsets.UTF_8).length;
      if (length > MAX_NAME_BYTES) {
        throw new BadInputException(
            option
                + ": a name of "
                + length
                + " bytes in "
                + abbreviated(file)
                + " (expected: names of at most "
                + MAX_NAME_BYTES
                + " bytes)");
      }
    }
    if (Files.isDirectory(absolute)) {
      throw new BadInputException(option + ": " + file + " is a directory (expected: a file)");
    }
    Path parent = absolute.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new BadInputException(
          option
              + ": cannot write "
              + file
              + ": "
              + (parent == null
                  ? "it has no directory"
                  : parent + (Files.exists(parent) ? " is not a directory" : " does not exist"))
              + " (expected: a file in an existing, writable directory)");
    }
    if (Files.exists(absolute)) {
      if (!Files.isRegularFile(absolute)) {
        throw new BadInputException(
            option
                + ": "
                + file
                + " is not a regular file (a FIFO, device or socket) (expected: a file)");
      }
      if (!Files.isWritable(absolute)) {
        throw new BadInputException(
            option + ": " + file + " is not writable (expected: a writable file)");
      }
      return;
    }
    if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException(
          option + ": " + file + " is a link to nothing (expected: a file, or no file yet)");
    }
    try {
      Files.createFile(absolute);
      Files.delete(absolute);
    } catch (FileAlreadyExistsException e) {
      // Created meanwhile by someone else: it is theirs; writing will say whether it is usable.
    } catch (IOException | SecurityException | InvalidPathException e) {
      throw new BadInputException(
          option
              + ": cannot write "
              + abbreviated(file)
              + " ("
              + reason(e)
              + ") (expected: a file in an existing, writable directory)");
    }
  }

  /**
   * Creates {@code dir} if needed and checks that each of {@code names} can be written in it.
   *
   * @throws BadInputException naming {@code option} if not
   */
  public static void checkDirectory(String option, Path dir, String... names) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new BadInputException(
          option + ": " + dir + " is a file (expected: a directory, existing or new)");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException | SecurityException | InvalidPathException e) {
      throw new BadInputException(
          option
              + ": cannot create the directory "
              + abbreviated(dir)
              + " ("
              + reason(e)
              + ") (expected: a writable place)");
    }
    for (String name : names) {
      checkFile(option, dir.resolve(name));
    }
  }

  /** A path short enough for a one-line message. */
  private static String abbreviated(Path path) {
    String text = path.toString();
    return text.length() <= 120
        ? text
        : text.substring(0, 60) + "..." + text.substring(text.length() - 40);
  }

  private static String reason(Exception e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f) {
      return f.getReason() != null ? f.getReason() : "the file system refuses to create it";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
