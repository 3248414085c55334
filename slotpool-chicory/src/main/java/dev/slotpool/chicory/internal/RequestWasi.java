package dev.slotpool.chicory.internal;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Set;

/**
 * WASI Preview 1 for a recycled instance: the host functions are bound to the instance once, and
 * reach whatever {@link WasiPreview1} serves the current request. Each request gets its own
 * streams, arguments, environment and a fresh file-descriptor table:
 *
 * <ul>
 *   <li>The common case costs a comparison and three stores: the request's options differ from the
 *       previous request's only in their streams, and the previous request left the descriptor
 *       table as it found it. The streams are switched, and the same {@code WasiPreview1} serves.
 *   <li>Otherwise (other arguments, environment, directories, clock, random or tty flags; or the
 *       guest opened, closed or renumbered a descriptor, which WASI's table cannot undo) a new
 *       {@code WasiPreview1} is built for the request, as plain Chicory builds one per instance.
 * </ul>
 *
 * <p>Not thread-safe: used by the instance's one request at a time.
 */
public final class RequestWasi {
  /** Chicory's default logger, built once: its builder probes for Android on every build. */
  private static final Logger LOGGER = new SystemLogger();

  /** The calls after which the descriptor table is no longer the one a new WASI context has. */
  private static final Set<String> TABLE_CHANGES =
      Set.of("fd_close", "fd_renumber", "path_open", "sock_accept", "fd_fdstat_set_flags");

  /** What the streams point at between requests; these hold no state, so one of each serves. */
  private static final InputStream NO_INPUT = InputStream.nullInputStream();

  private static final OutputStream NO_OUTPUT = OutputStream.nullOutputStream();

  private final SwitchedInput stdin = new SwitchedInput();
  private final SwitchedOutput stdout = new SwitchedOutput();
  private final SwitchedOutput stderr = new SwitchedOutput();

  private WasiOptions shape; // the options the current `wasi` was built from, streams aside
  private WasiPreview1 wasi;
  private HostFunction[] current; // wasi.toHostFunctions(), in the order of `bound`
  private HostFunction[] bound; // what the instance imports: each calls current[i]
  private boolean tableChanged;

  /** Serves the next request with {@code options}. */
  public void begin(WasiOptions options) {
    if (wasi != null && !tableChanged && sameShape(shape, options)) {
      switchStreams(options);
      return;
    }
    closeContext();
    WasiPreview1 next =
        WasiPreview1.builder().withLogger(LOGGER).withOptions(withSwitchedStreams(options)).build();
    HostFunction[] functions = next.toHostFunctions();
    if (bound == null) {
      bound = new HostFunction[functions.length];
      for (int i = 0; i < functions.length; i++) {
        bound[i] = bind(functions[i], i);
      }
    }
    wasi = next;
    current = functions;
    shape = options;
    tableChanged = false;
    switchStreams(options);
  }

  /**
   * The host functions to import, after the first {@link #begin}: each calls the same function of
   * whichever context serves the request.
   */
  public HostFunction[] hostFunctions() {
    return bound;
  }

  /**
   * Ends the request: the streams are let go, and a context whose descriptor table the guest
   * changed is closed (with the files it opened).
   */
  public void end() {
    stdin.to(NO_INPUT);
    stdout.to(NO_OUTPUT);
    stderr.to(NO_OUTPUT);
    if (tableChanged) {
      closeContext();
    }
  }

  /** Closes the current context and its descriptors, when the instance is dropped. */
  public void closeContext() {
    WasiPreview1 open = wasi;
    wasi = null;
    shape = null;
    if (open != null) {
      open.close();
    }
  }

  private HostFunction bind(HostFunction function, int index) {
    boolean changesTable = TABLE_CHANGES.contains(function.name());
    return new HostFunction(
        function.module(),
        function.name(),
        function.functionType(),
        (instance, args) -> {
          if (changesTable) {
            tableChanged = true;
          }
          return current[index].handle().apply(instance, args);
        });
  }

  private void switchStreams(WasiOptions options) {
    stdin.to(options.stdin());
    stdout.to(options.stdout());
    stderr.to(options.stderr());
  }

  private WasiOptions withSwitchedStreams(WasiOptions options) {
    var builder =
        WasiOptions.builder()
            .withStdin(stdin, options.stdinIsTty())
            .withStdout(stdout, options.stdoutIsTty())
            .withStderr(stderr, options.stderrIsTty())
            .withArguments(options.arguments())
            .withRandom(options.random())
            .withClock(options.clock())
            .withThrowOnExit0(options.throwOnExit0());
    for (Map.Entry<String, String> e : options.environment().entrySet()) {
      builder.withEnvironment(e.getKey(), e.getValue());
    }
    for (var e : options.directories().entrySet()) {
      builder.withDirectory(e.getKey(), e.getValue());
    }
    return builder.build();
  }

  /** Whether a context built from {@code a} serves {@code b} once the streams are switched. */
  private static boolean sameShape(WasiOptions a, WasiOptions b) {
    return a == b
        || (a.random() == b.random()
            && a.clock().equals(b.clock())
            && a.stdinIsTty() == b.stdinIsTty()
            && a.stdoutIsTty() == b.stdoutIsTty()
            && a.stderrIsTty() == b.stderrIsTty()
            && a.throwOnExit0() == b.throwOnExit0()
            && a.arguments().equals(b.arguments())
            && a.environment().equals(b.environment())
            && a.directories().equals(b.directories()));
  }

  /** An input stream that reads from the current request's stdin. */
  private static final class SwitchedInput extends InputStream {
    private InputStream in = NO_INPUT;

    void to(InputStream next) {
      in = next;
    }

    @Override
    public int read() throws IOException {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return in.read(b, off, len);
    }

    @Override
    public int available() throws IOException {
      return in.available();
    }

    @Override
    public long skip(long n) throws IOException {
      return in.skip(n);
    }
  }

  /** An output stream that writes to the current request's stdout or stderr. */
  private static final class SwitchedOutput extends OutputStream {
    private OutputStream out = NO_OUTPUT;

    void to(OutputStream next) {
      out = next;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }
}
