package dev.slotpool.bench.wasm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The host directories the wabt programs see: one read-only input directory with {@code input.wat}
 * and {@code input.wast}, and one output directory per thread for wast2json, so that two threads
 * never write the same file. All are deleted when the JVM exits.
 *
 * <p>Thread-safe.
 */
final class WabtFiles {
  private static final List<Path> CREATED = new CopyOnWriteArrayList<>();
  private static final Path INPUT = createInput();
  private static final ThreadLocal<Path> OUTPUT =
      ThreadLocal.withInitial(() -> track(temp("slotpool-wast2json-")));

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(WabtFiles::deleteAll, "wabt-files-cleanup"));
  }

  private WabtFiles() {}

  static Path input() {
    return INPUT;
  }

  static Path output() {
    return OUTPUT.get();
  }

  /** What wast2json wrote in this thread's output directory: the JSON, then each module. */
  static byte[] written() {
    Path dir = OUTPUT.get();
    try (Stream<Path> files = Files.list(dir)) {
      var out = new java.io.ByteArrayOutputStream();
      for (Path f : files.sorted().toList()) {
        out.writeBytes(
            f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.writeBytes(Files.readAllBytes(f));
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path createInput() {
    Path dir = track(temp("slotpool-wabt-in-"));
    try {
      Files.write(
          dir.resolve("input.wat"),
          RealModules.resource(RealModules.RESOURCES + "wabt-wat2wasm/input.wat"));
      Files.write(
          dir.resolve("input.wast"),
          RealModules.resource(RealModules.RESOURCES + "wabt-wast2json/input.wast"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  private static Path temp(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path track(Path dir) {
    CREATED.add(dir);
    return dir;
  }

  private static void deleteAll() {
    for (Path dir : CREATED) {
      try (Stream<Path> tree = Files.walk(dir)) {
        for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        // Best effort at exit: a leftover temporary directory is harmless.
      }
    }
  }
}
