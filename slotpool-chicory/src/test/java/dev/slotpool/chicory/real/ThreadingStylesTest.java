package dev.slotpool.chicory.real;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The threading styles Java services use, each serving real WASI programs (C and Rust greet,
 * compiled by clang and rustc) from {@code WasmInstancePool.builder().build()}: every request
 * answered exactly as plain Chicory answers it, no slot left in use and nothing counted as leaked
 * without a GC, no thread left with an interrupt flag, and no byte of an earlier request in any new
 * instance.
 */
class ThreadingStylesTest {
  private static final String[] NAMES = {"Ada", "Grace", "Barbara", "Edsger", "Frances"};

  private static WasmModule cGreet;
  private static WasmModule rustGreet;
  private static final ConcurrentHashMap<String, byte[]> PRISTINE = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, byte[]> EXPECTED = new ConcurrentHashMap<>();

  private static WasmInstancePool pool;

  @BeforeAll
  static void setUp() {
    cGreet = Parser.parse(resource("c-greet.wasm"));
    rustGreet = Parser.parse(resource("rust-greet.wasm"));
    pool = WasmInstancePool.builder().build();
  }

  @AfterAll
  static void tearDown() {
    pool.close();
  }

  // ---- the styles ------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} platform threads")
  @ValueSource(ints = {8, 64})
  void synchronous_fixedThreadPool(int threads) throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      List<CompletableFuture<Void>> requests = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        int request = i;
        requests.add(CompletableFuture.runAsync(() -> whole(request, Stdin.FAST), executor));
      }
      awaitAll(requests);
    } finally {
      shutdown(executor);
    }
    assertPoolClean();
  }

  @ParameterizedTest(name = "close on another executor: {0}")
  @ValueSource(booleans = {false, true})
  void asynchronous_instantiateAndRunOnOne_closeOnAnother(boolean virtualCloser) throws Exception {
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
                      Request r = instantiate(request, Stdin.FAST);
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
    assertPoolClean();
  }

  @Test
  void asynchronous_instantiateOnA_runOnB_closeOnC() throws Exception {
    ExecutorService a = Executors.newFixedThreadPool(2);
    ExecutorService b = Executors.newFixedThreadPool(2);
    ExecutorService c = Executors.newFixedThreadPool(2);
    try {
      List<CompletableFuture<Void>> requests = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        int request = i;
        requests.add(
            CompletableFuture.supplyAsync(() -> instantiate(request, Stdin.FAST), a)
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
    assertPoolClean();
  }

  /**
   * 400 requests in flight at once on virtual threads, each holding its instance while its body
   * arrives slowly (stdin blocks 20 ms).
   */
  @Test
  void virtualThreads_400InFlight_slowRequestBodies() throws Exception {
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<CompletableFuture<Void>> requests = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int request = i;
        requests.add(CompletableFuture.runAsync(() -> whole(request, Stdin.SLOW), executor));
      }
      awaitAll(requests);
    }
    assertPoolClean();
  }

  /**
   * A request thread's instance closed from another thread after its work (a hand-off, a timeout
   * that fired late); the same thread then serves its next request normally.
   */
  @Test
  void crossThreadClose_thenTheCreatorServesItsNextRequest() throws Exception {
    ExecutorService closer = Executors.newSingleThreadExecutor();
    try {
      for (int i = 0; i < 200; i++) {
        Request r = instantiate(i, Stdin.FAST);
        r.run();
        closer.submit(r::closeAndCheck).get();
        whole(i + 1, Stdin.FAST); // would fail if the close had left this thread interrupted
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
      }
    } finally {
      shutdown(closer);
    }
    assertPoolClean();
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
      wasi.close();
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

  private static void whole(int request, Stdin stdin) {
    Request r = instantiate(request, stdin);
    r.run();
    r.closeAndCheck();
  }

  /**
   * Instantiates request {@code n}'s module from the pool, and checks that its memory is the
   * module's pristine memory: nothing of an earlier request is left in the slot.
   */
  private static Request instantiate(int n, Stdin stdin) {
    WasmModule module = n % 3 == 0 ? rustGreet : cGreet;
    String key = (module == rustGreet ? "rust:" : "c:") + NAMES[n % NAMES.length];
    var stdout = new ByteArrayOutputStream();
    var wasi = wasi(key, stdout, stdin);
    var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
    PooledInstance pooled =
        pool.instantiate(module, b -> b.withImportValues(imports).withStart(false));
    byte[] pristine =
        PRISTINE.computeIfAbsent(
            key.substring(0, key.indexOf(':')), k -> memory(plainInstance(module, imports)));
    byte[] now = memory(pooled.instance());
    if (!Arrays.equals(now, pristine)) {
      pooled.close();
      throw new AssertionError(
          "slot " + pooled.slot() + " holds bytes of an earlier request (request " + n + ")");
    }
    noInterrupt("after instantiating");
    return new Request(module, key, pooled, wasi, stdout);
  }

  private static WasiPreview1 wasi(String key, ByteArrayOutputStream stdout, Stdin stdin) {
    String name = key.substring(key.indexOf(':') + 1);
    byte[] body = (name + "\nvisitor\n").getBytes(StandardCharsets.US_ASCII);
    InputStream in =
        stdin == Stdin.SLOW ? new SlowInputStream(body) : new ByteArrayInputStream(body);
    var options =
        WasiOptions.builder()
            .withArguments(List.of("greet", name))
            .withStdin(in)
            .withStdout(stdout)
            .withStderr(new ByteArrayOutputStream())
            .build();
    return WasiPreview1.builder().withOptions(options).build();
  }

  /** What plain Chicory prints for the request {@code key}. */
  private static byte[] plain(WasmModule module, String key) {
    var stdout = new ByteArrayOutputStream();
    try (var wasi = wasi(key, stdout, Stdin.FAST)) {
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

  private static void assertPoolClean() {
    var stats = pool.stats();
    assertThat(stats.inUse()).as("slots in use after every request closed, no GC").isZero();
    assertThat(stats.leakedLeases()).as("leases counted as leaked").isZero();
    assertThat(pool.instanceStats().running()).isZero();
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
