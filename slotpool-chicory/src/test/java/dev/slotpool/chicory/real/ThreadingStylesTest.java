package dev.slotpool.chicory.real;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.WasmInstancePool;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The threading styles Java services use, each serving real WASI programs (C and Rust greet,
 * compiled by clang and rustc) from {@code WasmInstancePool.builder().build()}, each style both
 * ways a service gets instances ({@link Serving}): every request answered exactly as plain Chicory
 * answers it, no slot left in use and nothing counted as leaked without a GC, no thread left with
 * an interrupt flag, and no byte of an earlier request in any new instance (recycled ones
 * included).
 */
class ThreadingStylesTest {
  private static final String[] NAMES = {"Ada", "Grace", "Barbara", "Edsger", "Frances"};

  private static WasmModule cGreet;
  private static WasmModule rustGreet;
  private static final ConcurrentHashMap<String, byte[]> PRISTINE = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, byte[]> EXPECTED = new ConcurrentHashMap<>();

  private static WasmInstancePool pool;
  private static PreparedModule<WasiOptions> cGreetPrepared;
  private static PreparedModule<WasiOptions> rustGreetPrepared;

  /** How a request gets its instance. */
  enum Serving {
    /** {@code pool.instantiate(module, builder -> WASI imports)}: a new instance per request. */
    INSTANTIATE,
    /** {@code pool.prepare(module, Linker.wasi()).instantiate(options)}: recycled instances. */
    PREPARED
  }

  @BeforeAll
  static void setUp() {
    cGreet = Parser.parse(resource("c-greet.wasm"));
    rustGreet = Parser.parse(resource("rust-greet.wasm"));
    pool = WasmInstancePool.builder().build();
    cGreetPrepared = pool.prepare(cGreet, Linker.wasi());
    rustGreetPrepared = pool.prepare(rustGreet, Linker.wasi());
  }

  @AfterAll
  static void tearDown() {
    pool.close();
  }

  // ---- the styles ------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} platform threads, {1}")
  @CsvSource({"8,INSTANTIATE", "64,INSTANTIATE", "8,PREPARED", "64,PREPARED"})
  void synchronous_fixedThreadPool(int threads, Serving serving) throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      List<CompletableFuture<Void>> requests = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        int request = i;
        requests.add(
            CompletableFuture.runAsync(() -> whole(request, Stdin.FAST, serving), executor));
      }
      awaitAll(requests);
    } finally {
      shutdown(executor);
    }
    assertPoolClean(serving);
  }

  @ParameterizedTest(name = "close on another executor, virtual: {0}, {1}")
  @CsvSource({"false,INSTANTIATE", "true,INSTANTIATE", "false,PREPARED", "true,PREPARED"})
  void asynchronous_instantiateAndRunOnOne_closeOnAnother(boolean virtualCloser, Serving serving)
      throws Exception {
    ExecutorService work = Executors.newFixedThreadPool(4);
    ExecutorService closer =
        virtualCloser
            ? Executors.newVirtualThreadPerTaskExecutor()
            : Executors.newFixedThreadPool(2);
    try {
      List<CompletableFuture<Void>> requests = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        int request = i;
        requests.add(
            CompletableFuture.supplyAsync(
                    () -> {
                      Request r = instantiate(request, Stdin.FAST, serving);
                      r.run();
                      return r;
                    },
                    work)
                .thenAcceptAsync(Request::closeAndCheck, closer));
      }
      awaitAll(requests);
    } finally {
      shutdown(work);
      shutdown(closer);
    }
    assertPoolClean(serving);
  }

  @ParameterizedTest
  @EnumSource(Serving.class)
  void asynchronous_instantiateOnA_runOnB_closeOnC(Serving serving) throws Exception {
    ExecutorService a = Executors.newFixedThreadPool(2);
    ExecutorService b = Executors.newFixedThreadPool(2);
    ExecutorService c = Executors.newFixedThreadPool(2);
    try {
      List<CompletableFuture<Void>> requests = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        int request = i;
        requests.add(
            CompletableFuture.supplyAsync(() -> instantiate(request, Stdin.FAST, serving), a)
                .thenApplyAsync(
                    r -> {
                      r.run();
                      return r;
                    },
                    b)
                .thenAcceptAsync(Request::closeAndCheck, c));
      }
      awaitAll(requests);
    } finally {
      shutdown(a);
      shutdown(b);
      shutdown(c);
    }
    assertPoolClean(serving);
  }

  /**
   * 400 requests in flight at once on virtual threads, each holding its instance while its body
   * arrives slowly (stdin blocks 20 ms).
   */
  @ParameterizedTest
  @EnumSource(Serving.class)
  void virtualThreads_400InFlight_slowRequestBodies(Serving serving) throws Exception {
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<CompletableFuture<Void>> requests = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int request = i;
        requests.add(
            CompletableFuture.runAsync(() -> whole(request, Stdin.SLOW, serving), executor));
      }
      awaitAll(requests);
    }
    assertPoolClean(serving);
  }

  /**
   * A request thread's instance closed from another thread after its work (a hand-off, a timeout
   * that fired late); the same thread then serves its next request normally.
   */
  @ParameterizedTest
  @EnumSource(Serving.class)
  void crossThreadClose_thenTheCreatorServesItsNextRequest(Serving serving) throws Exception {
    ExecutorService closer = Executors.newSingleThreadExecutor();
    try {
      for (int i = 0; i < 200; i++) {
        Request r = instantiate(i, Stdin.FAST, serving);
        r.run();
        closer.submit(r::closeAndCheck).get();
        // would fail if the close had left this thread interrupted
        whole(i + 1, Stdin.FAST, serving);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
      }
    } finally {
      shutdown(closer);
    }
    assertPoolClean(serving);
  }

  // ---- one request ----------------------------------------------------------------------------

  private enum Stdin {
    FAST,
    SLOW
  }

  /** A request in flight: its instance, its streams, and what it should print. */
  private static final class Request {
    final WasmModule module;
    final String key;
    final PooledInstance pooled;
    final WasiPreview1 wasi;
    final ByteArrayOutputStream stdout;
    int exit;

    Request(
        WasmModule module,
        String key,
        PooledInstance pooled,
        WasiPreview1 wasi,
        ByteArrayOutputStream stdout) {
      this.module = module;
      this.key = key;
      this.pooled = pooled;
      this.wasi = wasi;
      this.stdout = stdout;
    }

    void run() {
      try {
        pooled.instance().export("_start").apply();
      } catch (WasiExitException e) {
        exit = e.exitCode();
      }
      noInterrupt("after the run");
    }

    void closeAndCheck() {
      pooled.close();
      if (wasi != null) {
        wasi.close(); // a prepared module's instances close their own WASI contexts
      }
      noInterrupt("after the close");
      byte[] expected = EXPECTED.computeIfAbsent(key, k -> plain(module, k));
      if (exit != 0 || !Arrays.equals(stdout.toByteArray(), expected)) {
        throw new AssertionError(
            "request "
                + key
                + " printed "
                + stdout.toString(StandardCharsets.UTF_8)
                + " (exit "
                + exit
                + "), plain Chicory printed "
                + new String(expected, StandardCharsets.UTF_8));
      }
    }
  }

  private static void whole(int request, Stdin stdin, Serving serving) {
    Request r = instantiate(request, stdin, serving);
    r.run();
    r.closeAndCheck();
  }

  /**
   * Instantiates request {@code n}'s module from the pool, and checks that its memory is the
   * module's pristine memory: nothing of an earlier request is left in the slot.
   */
  private static Request instantiate(int n, Stdin stdin, Serving serving) {
    WasmModule module = n % 3 == 0 ? rustGreet : cGreet;
    String key = (module == rustGreet ? "rust:" : "c:") + NAMES[n % NAMES.length];
    var stdout = new ByteArrayOutputStream();
    WasiOptions options = options(key, stdout, stdin);
    WasiPreview1 wasi = null;
    PooledInstance pooled;
    if (serving == Serving.PREPARED) {
      pooled = (module == rustGreet ? rustGreetPrepared : cGreetPrepared).instantiate(options);
    } else {
      wasi = WasiPreview1.builder().withOptions(options).build();
      var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
      pooled = pool.instantiate(module, b -> b.withImportValues(imports).withStart(false));
    }
    byte[] pristine =
        PRISTINE.computeIfAbsent(
            key.substring(0, key.indexOf(':')),
            k -> {
              try (var quiet =
                  WasiPreview1.builder().withOptions(options(key, null, stdin)).build()) {
                var imports = ImportValues.builder().addFunction(quiet.toHostFunctions()).build();
                return memory(plainInstance(module, imports));
              }
            });
    byte[] now = memory(pooled.instance());
    if (!Arrays.equals(now, pristine)) {
      pooled.close();
      throw new AssertionError(
          "slot " + pooled.slot() + " holds bytes of an earlier request (request " + n + ")");
    }
    noInterrupt("after instantiating");
    return new Request(module, key, pooled, wasi, stdout);
  }

  /** Request {@code key}'s WASI options; output into {@code stdout} (null: discarded). */
  private static WasiOptions options(String key, ByteArrayOutputStream stdout, Stdin stdin) {
    String name = key.substring(key.indexOf(':') + 1);
    byte[] body = (name + "\nvisitor\n").getBytes(StandardCharsets.US_ASCII);
    InputStream in =
        stdin == Stdin.SLOW ? new SlowInputStream(body) : new ByteArrayInputStream(body);
    return WasiOptions.builder()
        .withArguments(List.of("greet", name))
        .withStdin(in)
        .withStdout(stdout == null ? new ByteArrayOutputStream() : stdout)
        .withStderr(new ByteArrayOutputStream())
        .build();
  }

  /** What plain Chicory prints for the request {@code key}. */
  private static byte[] plain(WasmModule module, String key) {
    var stdout = new ByteArrayOutputStream();
    try (var wasi = WasiPreview1.builder().withOptions(options(key, stdout, Stdin.FAST)).build()) {
      var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
      try {
        plainInstance(module, imports).export("_start").apply();
      } catch (WasiExitException e) {
        assertThat(e.exitCode()).isZero();
      }
    }
    return stdout.toByteArray();
  }

  private static Instance plainInstance(WasmModule module, ImportValues imports) {
    return Instance.builder(module).withImportValues(imports).withStart(false).build();
  }

  private static byte[] memory(Instance instance) {
    return instance.memory().readBytes(0, instance.memory().pages() * 65_536);
  }

  // ---- checks and plumbing --------------------------------------------------------------------

  private static void noInterrupt(String when) {
    if (Thread.currentThread().isInterrupted()) {
      throw new AssertionError(Thread.currentThread() + " was left interrupted " + when);
    }
  }

  private static void assertPoolClean(Serving serving) {
    var stats = pool.stats();
    assertThat(stats.inUse()).as("slots in use after every request closed, no GC").isZero();
    assertThat(stats.leakedLeases()).as("leases counted as leaked").isZero();
    assertThat(pool.instanceStats().running()).isZero();
    if (serving == Serving.PREPARED) {
      var recycling = pool.recycleStats();
      assertThat(recycling.recycled())
          .as("prepared requests that reused a parked instance: %s", recycling)
          .isGreaterThan(recycling.built());
    }
  }

  private static void awaitAll(List<CompletableFuture<Void>> requests) throws Exception {
    var failures = new ConcurrentLinkedQueue<Throwable>();
    for (CompletableFuture<Void> request : requests) {
      try {
        request.get(2, TimeUnit.MINUTES);
      } catch (ExecutionException e) {
        failures.add(e.getCause());
      }
    }
    assertThat(failures).as("failed requests of %d", requests.size()).isEmpty();
  }

  private static void shutdown(ExecutorService executor) throws InterruptedException {
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
  }

  private static byte[] resource(String name) {
    try (InputStream in =
        ThreadingStylesTest.class.getResourceAsStream("/dev/slotpool/testkit/wasm/" + name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is not on the class path (slotpool-testkit)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A request body that arrives slowly: the first read blocks 20 ms. */
  private static final class SlowInputStream extends InputStream {
    private final ByteArrayInputStream body;
    private boolean waited;

    SlowInputStream(byte[] body) {
      this.body = new ByteArrayInputStream(body);
    }

    @Override
    public int read() {
      pause();
      return body.read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      pause();
      return body.read(b, off, len);
    }

    private void pause() {
      if (!waited) {
        waited = true;
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
