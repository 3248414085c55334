package dev.slotpool.bench.wasm;

import com.dylibso.chicory.runtime.Instance;
import java.nio.charset.StandardCharsets;

/**
 * Calls into an instance of sqlite4j's SQLite module: exports by name, C strings in its heap, and
 * result codes checked. Shared by the corpus's sqlite request and the snapshot benchmark.
 *
 * <p>Thread-safe: stateless; each instance is used by one thread at a time.
 */
public final class SqliteCalls {
  private static final int SQLITE_OK = 0;

  private SqliteCalls() {}

  /** Calls {@code export} with {@code args} and returns its first result as an int. */
  public static int call(Instance instance, String export, long... args) {
    return (int) instance.export(export).apply(args)[0];
  }

  /**
   * Allocates {@code bytes} in the module's heap.
   *
   * @throws IllegalStateException if {@code malloc} returns NULL
   */
  public static int malloc(Instance instance, int bytes) {
    int p = call(instance, "malloc", bytes);
    if (p == 0) {
      throw new IllegalStateException("sqlite: malloc(" + bytes + ") returned NULL");
    }
    return p;
  }

  /** Copies {@code s} into the module's heap as a NUL-terminated UTF-8 string; returns where. */
  public static int cString(Instance instance, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int p = malloc(instance, b.length + 1);
    instance.memory().write(p, b);
    instance.memory().writeByte(p + b.length, (byte) 0);
    return p;
  }

  /**
   * Throws unless {@code rc} is {@code SQLITE_OK}, with {@code sqlite3_errmsg} of {@code db} (0:
   * none) in the message.
   */
  public static void check(Instance instance, int db, int rc) {
    if (rc != SQLITE_OK) {
      String message =
          db == 0 ? "" : ": " + instance.memory().readCString(call(instance, "sqlite3_errmsg", db));
      throw new IllegalStateException("sqlite: result code " + rc + " (expected: 0)" + message);
    }
  }
}
