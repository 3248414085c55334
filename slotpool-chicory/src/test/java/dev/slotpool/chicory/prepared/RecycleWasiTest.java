package dev.slotpool.chicory.prepared;

import static dev.slotpool.testkit.wasm.WasmBuilder.I32;
import static dev.slotpool.testkit.wasm.WasmBuilder.I64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.RecycleStats;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.testkit.wasm.WasmBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WASI across recycling, on a guest that calls WASI Preview 1 directly: each request of a recycled
 * instance sees only its own streams, arguments and environment, and a descriptor table as a new
 * instance has it, whatever the previous request opened or closed; every request's output and
 * results equal plain Chicory's for the same options.
 */
class RecycleWasiTest {
  private static final String WASI = "wasi_snapshot_preview1";
  private static final byte[] NONE = {};
  private static final byte[] RESULT = {I32};
  private static final String FILE = "f.txt";
  // The guest's memory: an iovec at 0, counts at 8..31, buffers from 64.
  private static final int IOV = 0;
  private static final int COUNT = 8;
  private static final int SIZES = 16;
  private static final int OPENED = 24;
  private static final int BUFFER = 64;
  private static final int POINTERS = 1024;
  private static final int STRINGS = 2048;
  private static final int PATH = 3072;
  private static final int HELLO = 4096;
  private static final byte[] HELLO_TEXT = "hello\n".getBytes(StandardCharsets.UTF_8);

  /**
   * The guest. Each export returns the errno of its last WASI call: {@code echo} copies up to 256
   * bytes of stdin to stdout and stderr; {@code args} and {@code env} write the arguments' and the
   * environment's strings to stdout; {@code open} opens (creating) {@code f.txt} in preopened
   * directory 3 and keeps the descriptor, which {@code lastFd} returns; {@code closeStdout} closes
   * descriptor 1; {@code hello} writes "hello\n" to stdout.
   */
  private static final byte[] GUEST = guest();

  @TempDir Path directory;
  private WasmInstancePool pool;
  private WasmModule module;
  private PreparedModule<WasiOptions> prepared;

  @BeforeEach
  void open() {
    pool = WasmInstancePool.builder().slots(1).build();
    module = Parser.parse(GUEST);
    prepared = pool.prepare(module, Linker.wasi());
    assertThat(prepared.recycles()).isTrue();
  }

  @AfterEach
  void close() {
    pool.close();
  }

  private static byte[] guest() {
    var b = new WasmBuilder();
    byte[] fourInts = {I32, I32, I32, I32};
    int fdRead = b.importFunction(WASI, "fd_read", fourInts, RESULT);
    int fdWrite = b.importFunction(WASI, "fd_write", fourInts, RESULT);
    int argsSizes = b.importFunction(WASI, "args_sizes_get", new byte[] {I32, I32}, RESULT);
    int argsGet = b.importFunction(WASI, "args_get", new byte[] {I32, I32}, RESULT);
    int envSizes = b.importFunction(WASI, "environ_sizes_get", new byte[] {I32, I32}, RESULT);
    int envGet = b.importFunction(WASI, "environ_get", new byte[] {I32, I32}, RESULT);
    int pathOpen =
        b.importFunction(
            WASI, "path_open", new byte[] {I32, I32, I32, I32, I32, I64, I64, I32, I32}, RESULT);
    int fdClose = b.importFunction(WASI, "fd_close", new byte[] {I32}, RESULT);
    b.memory(1, 1).exportMemory("memory");
    b.activeData(0, PATH, FILE.getBytes(StandardCharsets.UTF_8));
    b.activeData(0, HELLO, HELLO_TEXT);

    var echo = iovec(new WasmBuilder.Code(), BUFFER, 256);
    echo.i32Const(0).i32Const(IOV).i32Const(1).i32Const(COUNT).call(fdRead).drop();
    echo.i32Const(IOV + 4).i32Const(COUNT).memOp(0x28, 0).memOp(0x36, 0); // len = bytes read
    echo.i32Const(1).i32Const(IOV).i32Const(1).i32Const(COUNT).call(fdWrite).drop();
    echo.i32Const(2).i32Const(IOV).i32Const(1).i32Const(COUNT).call(fdWrite);
    b.function("echo", NONE, RESULT, echo);
    b.function("args", NONE, RESULT, strings(argsSizes, argsGet, fdWrite));
    b.function("env", NONE, RESULT, strings(envSizes, envGet, fdWrite));
    var open =
        new WasmBuilder.Code()
            .i32Const(3) // the preopened directory
            .i32Const(0)
            .i32Const(PATH)
            .i32Const(FILE.length())
            .i32Const(1) // O_CREAT
            .i64Const(-1) // every right
            .i64Const(-1)
            .i32Const(0)
            .i32Const(OPENED)
            .call(pathOpen);
    b.function("open", NONE, RESULT, open);
    b.function("lastFd", NONE, RESULT, new WasmBuilder.Code().i32Const(OPENED).memOp(0x28, 0));
    b.function("closeStdout", NONE, RESULT, new WasmBuilder.Code().i32Const(1).call(fdClose));
    var hello = iovec(new WasmBuilder.Code(), HELLO, HELLO_TEXT.length);
    b.function(
        "hello",
        NONE,
        RESULT,
        hello.i32Const(1).i32Const(IOV).i32Const(1).i32Const(COUNT).call(fdWrite));
    return b.build();
  }

  private static WasmBuilder.Code iovec(WasmBuilder.Code c, int buffer, int length) {
    return c.i32Const(IOV)
        .i32Const(buffer)
        .memOp(0x36, 0)
        .i32Const(IOV + 4)
        .i32Const(length)
        .memOp(0x36, 0);
  }

  /** Gets the strings with {@code sizes} and {@code get}, and writes them all to stdout. */
  private static WasmBuilder.Code strings(int sizes, int get, int fdWrite) {
    var c = new WasmBuilder.Code();
    c.i32Const(SIZES).i32Const(SIZES + 4).call(sizes).drop();
    c.i32Const(POINTERS).i32Const(STRINGS).call(get).drop();
    iovec(c, STRINGS, 0);
    c.i32Const(IOV + 4).i32Const(SIZES + 4).memOp(0x28, 0).memOp(0x36, 0); // len = buffer size
    return c.i32Const(1).i32Const(IOV).i32Const(1).i32Const(COUNT).call(fdWrite);
  }

  /** A request's options and what it printed. */
  private record Request(
      List<String> args,
      Map<String, String> env,
      String stdin,
      ByteArrayOutputStream stdout,
      ByteArrayOutputStream stderr,
      Path directory) {
    static Request of(List<String> args, Map<String, String> env, String stdin, Path directory) {
      return new Request(
          args, env, stdin, new ByteArrayOutputStream(), new ByteArrayOutputStream(), directory);
    }

    WasiOptions options() {
      var builder =
          WasiOptions.builder()
              .withArguments(args)
              .withStdin(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)))
              .withStdout(stdout)
              .withStderr(stderr);
      env.forEach(builder::withEnvironment);
      if (directory != null) {
        builder.withDirectory("/", directory);
      }
      return builder.build();
    }

    Request again() {
      return of(args, env, stdin, directory);
    }

    String out() {
      return stdout.toString(StandardCharsets.UTF_8);
    }

    String err() {
      return stderr.toString(StandardCharsets.UTF_8);
    }
  }

  /** What a request did: the results of its calls, its stdout and its stderr. */
  private record Seen(List<String> results, String stdout, String stderr) {}

  private static List<String> calls(Instance instance, List<String> exports) {
    var results = new ArrayList<String>();
    for (String export : exports) {
      try {
        results.add(export + " = " + instance.export(export).apply()[0]);
      } catch (RuntimeException e) {
        results.add(export + " threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
    return results;
  }

  /** Runs {@code exports} on a recycled-or-built instance for {@code request}. */
  private Seen pooled(Request request, List<String> exports) {
    List<String> results;
    try (PooledInstance pooled = prepared.instantiate(request.options())) {
      results = calls(pooled.instance(), exports);
    }
    return new Seen(results, request.out(), request.err());
  }

  /** Runs {@code exports} on a new plain Chicory instance with its own WASI for {@code request}. */
  private Seen plain(Request request, List<String> exports) {
    List<String> results;
    try (var wasi = WasiPreview1.builder().withOptions(request.options()).build()) {
      var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
      Instance instance =
          Instance.builder(module).withImportValues(imports).withStart(false).build();
      results = calls(instance, exports);
    }
    return new Seen(results, request.out(), request.err());
  }

  /** Runs {@code exports} for {@code request} pooled and plain, and asserts they saw the same. */
  private Seen same(String what, Request request, List<String> exports) {
    Seen expected = plain(request.again(), exports);
    Seen actual = pooled(request, exports);
    assertThat(actual).as(what).isEqualTo(expected);
    return actual;
  }

  @Test
  void streamsArgumentsAndEnvironment_areEachRequestsOwn_asPlainChicoryPrintsThem() {
    var r = new SplittableRandom(23);
    List<String> exports = List.of("echo", "args", "env", "echo");
    int requests = 12;
    for (int i = 0; i < requests; i++) {
      // Half the requests repeat the previous one's arguments and environment (the streams are
      // switched on the same context), half change them (a new context).
      int shape = r.nextBoolean() ? i / 2 : i;
      var args = List.of("guest", "arg-" + shape, "x".repeat(r.nextInt(40)));
      var env = Map.of("SHAPE", "env-" + shape, "N", String.valueOf(shape % 3));
      var request = Request.of(args, env, "stdin of request " + i + "\n", null);
      Seen seen = same("request " + i, request, exports);
      assertThat(seen.stdout())
          .as("request %d", i)
          .contains("stdin of request " + i + "\n")
          .contains("arg-" + shape)
          .contains("SHAPE=env-" + shape);
      assertThat(seen.stderr()).isEqualTo("stdin of request " + i + "\n");
      for (int j = 0; j < i; j++) {
        assertThat(seen.stdout() + seen.stderr()).doesNotContain("stdin of request " + j + "\n");
      }
    }
    assertThat(prepared.recycleStats())
        .isEqualTo(
            new RecycleStats(requests - 1, 1, Map.of(RecycleStats.Reason.NO_INSTANCE_ON_SLOT, 1L)));
  }

  @Test
  void aFileLeftOpen_isClosedAtRelease_andTheNextRequestGetsAFreshDescriptorTable()
      throws IOException {
    Path file = directory.resolve(FILE);
    List<String> openTwice = List.of("open", "lastFd", "open", "lastFd");
    Seen first =
        same("request 0", Request.of(List.of("guest"), Map.of(), "", directory), openTwice);
    assertThat(first.results()).containsExactly("open = 0", "lastFd = 4", "open = 0", "lastFd = 5");
    assertThat(openDescriptorsOf(file.toRealPath())).as("host descriptors of " + file).isZero();
    for (int i = 1; i < 4; i++) {
      Seen next =
          same("request " + i, Request.of(List.of("guest"), Map.of(), "", directory), openTwice);
      assertThat(next.results()).isEqualTo(first.results());
      assertThat(openDescriptorsOf(file.toRealPath())).isZero();
    }
    assertThat(prepared.recycleStats().recycled()).isEqualTo(3);
  }

  @Test
  void closingStdout_inOneRequest_leavesTheNextRequestsStdoutOpen() {
    List<String> closeThenWrite = List.of("hello", "closeStdout", "hello", "echo");
    List<String> write = List.of("hello", "echo");
    for (int i = 0; i < 6; i++) {
      List<String> exports = i % 2 == 0 ? closeThenWrite : write;
      var request = Request.of(List.of("guest"), Map.of(), "in " + i, null);
      Seen seen = same("request " + i, request, exports);
      assertThat(seen.stdout()).startsWith("hello\n");
      if (exports == write) {
        assertThat(seen.results()).containsExactly("hello = 0", "echo = 0");
        assertThat(seen.stdout()).isEqualTo("hello\nin " + i);
      } else {
        assertThat(seen.stdout()).isEqualTo("hello\n");
        assertThat(seen.results()).element(2).isNotEqualTo("hello = 0");
      }
    }
    assertThat(prepared.recycleStats().recycled()).isEqualTo(5);
  }

  /** How many of this process's descriptors are open on {@code file} (Linux's /proc). */
  private static long openDescriptorsOf(Path file) throws IOException {
    Path fds = Path.of("/proc/self/fd");
    assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd");
    try (Stream<Path> entries = Files.list(fds)) {
      return entries
          .filter(
              fd -> {
                try {
                  return Files.readSymbolicLink(fd).equals(file);
                } catch (IOException | UnsupportedOperationException e) {
                  return false; // closed since the listing, or not a link
                }
              })
          .count();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
