package dev.slotpool.example;

import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.memory.PoolExhaustedException;
import dev.slotpool.micrometer.SlotpoolMetrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP service that runs a WebAssembly program per request: {@code GET /greet?name=Ada} (and a
 * request body of more names, one per line) instantiates the greet program with those arguments and
 * stdin, runs it and answers with what it printed; {@code GET /metrics} answers with the meters in
 * the Prometheus text format.
 *
 * <p>In the {@link Mode#POOLED} mode the program is prepared once in a {@code
 * WasmInstancePool.builder().build()} (the library's defaults) with {@code Linker.wasi()}, and each
 * request gets a recycled instance with its own WASI options; the pool's meters are at {@code
 * /metrics} ({@code slotpool_*}, tagged {@code pool="greet"}). In the {@link Mode#PLAIN} mode each
 * request builds a plain Chicory instance, for comparison. Both modes also time the requests
 * ({@code greet_requests_seconds}).
 *
 * <p>Each request runs on a virtual thread of its own, as a service on Java 21+ would serve it; its
 * instance is created, run and closed on that thread. A request that finds every slot in use waits
 * for one, up to the pool's {@code maxWait}. Thread-safe; {@link #close()} stops the server and
 * closes the pool.
 */
public final class GreetService implements AutoCloseable {
  /*
   * Implementation notes.
   *
   * Plain Chicory runs a WASI command's _start while instantiating; a prepared module's instances
   * never do, so the pooled mode calls it. A command may end with proc_exit, which Chicory throws
   * as WasiExitException. Each request has its own WASI options (its own stdin and stdout): in the
   * plain mode a WasiPreview1 of its own, in the pooled mode the recycled instance's WASI serving
   * them.
   */

  /** How a request gets its instance. */
  public enum Mode {
    /** From a {@code WasmInstancePool} with the library's defaults. */
    POOLED,
    /** A plain Chicory {@code Instance.builder(module).build()}, for comparison. */
    PLAIN
  }

  /** The name the pool's meters are tagged with ({@code pool="greet"}). */
  public static final String POOL_NAME = "greet";

  /** The logger WASI would pick itself; stateless, so every request shares it. */
  private static final SystemLogger LOGGER = new SystemLogger();

  private final GreetProgram program;
  private final Mode mode;
  private final WasmInstancePool pool; // null in the plain mode
  private final PreparedModule<WasiOptions> prepared; // null in the plain mode
  private final PrometheusMeterRegistry registry;
  private final Timer requests;
  private final ExecutorService executor;
  private final HttpServer server;

  private GreetService(GreetProgram program, Mode mode, InetSocketAddress address)
      throws IOException {
    this.program = program;
    this.mode = mode;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.requests =
        Timer.builder("greet.requests")
            .description("Greet requests, from the request to the response")
            .tag("mode", mode.name().toLowerCase(Locale.ROOT))
            .register(registry);
    this.pool = mode == Mode.POOLED ? WasmInstancePool.builder().build() : null;
    try {
      if (pool != null) {
        new SlotpoolMetrics(pool, POOL_NAME).bindTo(registry);
        this.prepared =
            pool.prepare(
                program.module(), Linker.wasi(), b -> b.withMachineFactory(program.machine()));
      } else {
        this.prepared = null;
      }
      this.executor = Executors.newVirtualThreadPerTaskExecutor();
      this.server = HttpServer.create(address, 0);
    } catch (IOException | RuntimeException e) {
      if (pool != null) {
        pool.close();
      }
      throw e;
    }
    server.setExecutor(executor);
    server.createContext("/greet", this::greet);
    server.createContext("/metrics", this::metrics);
    server.start();
  }

  /**
   * Starts the service on {@code address} (port 0 picks a free one), serving each request on a
   * virtual thread of its own.
   */
  public static GreetService start(GreetProgram program, Mode mode, InetSocketAddress address)
      throws IOException {
    return new GreetService(program, mode, address);
  }

  /** The port the service listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The mode the service runs in. */
  public Mode mode() {
    return mode;
  }

  /**
   * Runs the program once with {@code names} as arguments and {@code stdin}, on the calling thread,
   * and returns what it printed.
   *
   * @throws IllegalStateException if the program exits with a non-zero code
   */
  public String run(List<String> names, byte[] stdin) {
    List<String> args = new ArrayList<>(names.size() + 1);
    args.add(program.name());
    args.addAll(names);
    var stdout = new ByteArrayOutputStream(256);
    var stderr = new ByteArrayOutputStream(0);
    WasiOptions options =
        WasiOptions.builder()
            .withArguments(args)
            .withStdin(new ByteArrayInputStream(stdin))
            .withStdout(stdout)
            .withStderr(stderr)
            .build();
    try {
      if (prepared != null) {
        try (PooledInstance pooled = prepared.instantiate(options)) {
          pooled.instance().export("_start").apply();
        }
      } else {
        // With a logger given, Chicory skips a failing Class.forName probe on every build.
        try (WasiPreview1 wasi =
            WasiPreview1.builder().withLogger(LOGGER).withOptions(options).build()) {
          ImportValues imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
          Instance.builder(program.module())
              .withImportValues(imports)
              .withMachineFactory(program.machine())
              .build(); // a command has done its work once instantiated
        }
      }
    } catch (WasiExitException e) {
      if (e.exitCode() != 0) {
        throw new IllegalStateException(
            program.name()
                + ": exit code "
                + e.exitCode()
                + " (expected: 0): "
                + stderr.toString(StandardCharsets.UTF_8),
            e);
      }
    }
    return stdout.toString(StandardCharsets.UTF_8);
  }

  private void greet(HttpExchange exchange) throws IOException {
    long start = System.nanoTime();
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("POST")) {
        respond(exchange, 405, "method: " + method + " (expected: GET or POST)\n");
        return;
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      String text;
      try {
        text = run(names(exchange.getRequestURI().getRawQuery()), body);
      } catch (PoolExhaustedException e) {
        respond(exchange, 503, e.getMessage() + "\n");
        return;
      } catch (RuntimeException e) {
        respond(exchange, 500, e + "\n");
        return;
      }
      respond(exchange, 200, text);
    } finally {
      requests.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  private void metrics(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      byte[] bytes = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The values of every {@code name} parameter of a raw query string, in order. */
  static List<String> names(String rawQuery) {
    List<String> names = new ArrayList<>();
    if (rawQuery == null) {
      return names;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals("name")) {
        names.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return names;
  }

  private static void respond(HttpExchange exchange, int status, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops the server (requests in flight get up to a second), then closes the pool. */
  @Override
  public void close() {
    server.stop(1);
    executor.close();
    if (pool != null) {
      pool.close();
    }
    registry.close();
  }

  /**
   * Runs the service until the JVM is stopped: {@code [--port 8080] [--mode pooled|plain] [--module
   * rust-greet|c-greet]}. It listens on the loopback address only.
   */
  public static void main(String[] args) throws IOException {
    int port = 8080;
    Mode mode = Mode.POOLED;
    String module = "rust-greet";
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(require(args[i], value));
        case "--mode" -> mode = Mode.valueOf(require(args[i], value).toUpperCase(Locale.ROOT));
        case "--module" -> module = require(args[i], value);
        default ->
            throw new IllegalArgumentException(
                "option: " + args[i] + " (expected: --port, --mode or --module)");
      }
      i++;
    }
    GreetService service =
        start(
            GreetProgram.load(module),
            mode,
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    Runtime.getRuntime().addShutdownHook(new Thread(service::close));
    System.out.printf(
        "greet service (%s, %s, virtual threads) on http://127.0.0.1:%d/greet and /metrics%n",
        mode.name().toLowerCase(Locale.ROOT), module, service.port());
  }

  private static String require(String option, String value) {
    if (value == null) {
      throw new IllegalArgumentException(option + ": missing value");
    }
    return value;
  }
}
