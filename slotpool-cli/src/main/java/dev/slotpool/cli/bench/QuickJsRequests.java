package dev.slotpool.cli.bench;

import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import io.roastedroot.quickjs4j.core.JavyPluginModule;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A JavaScript request on QuickJS as quickjs4j ships it (Javy's plugin module, its code compiled to
 * JVM bytecode when quickjs4j was built): create the engine's runtime, evaluate a prelude that
 * defines the service's templates, compile the request's handler, run it. Plain Chicory does all of
 * it on every request; the pool does the init once, in a {@link WasmSnapshot}, and each request
 * starts from the snapshot and only runs the handler. The prepared side ({@link #prepare}) takes
 * such a snapshot in a pool of its own and prepares it: each request runs the handler on an
 * instance recycled to the snapshot's state.
 *
 * <p>Every request's output ({@code console.log} on WASI stdout) is checked. Thread-safe: each
 * worker ({@link #plainRequests}, {@link #pooledRequests}, {@link #preparedRequests}) has its own
 * WASI host or output; a worker is for one thread.
 */
public final class QuickJsRequests implements AutoCloseable {
  /*
   * Implementation notes
   *
   * The module's exports, as quickjs4j's Engine drives them: initialize_runtime, then
   * canonical_abi_realloc for the source, compileSrc (returns a pointer to [address, length] of
   * bytecode), invoke to run bytecode. The import chicory.invoke (host calls from JavaScript) is a
   * stub: the scripts never call it. The clock and random source are fixed, so the output is the
   * same on every request.
   */

  /** The service's templates, evaluated by the init. */
  static final String PRELUDE =
      """
      globalThis.templates = {};
      for (let i = 0; i < 50; i++) {
        templates['t' + i] = (name) => 'hello ' + name + ' from template ' + i;
      }
      globalThis.render = (id, name) => templates[id](name).toUpperCase();
      """;

  /** The request's handler. */
  static final String HANDLER = "console.log(render('t7', 'world'), [3, 1, 2].sort().join());";

  /** What the handler prints. */
  static final String EXPECTED = "HELLO WORLD FROM TEMPLATE 7 1,2,3\n";

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  /** The import {@code chicory.invoke} (host calls from JavaScript): the scripts make none. */
  private static final HostFunction INVOKE =
      new HostFunction(
          "chicory",
          "invoke",
          FunctionType.of(
              List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32),
              List.of(ValType.I32)),
          (instance, args) -> {
            throw new UnsupportedOperationException("no Java builtins in this script");
          });

  /**
   * The prepared side's random source: one for every request, so that requests' WASI options differ
   * only in their streams and the recycled instance keeps its WASI context.
   */
  private final Random random = new Random(1);

  private final WasmModule module = JavyPluginModule.load();
  private final Snapshot snapshot;
  private Snapshot preparedSnapshot;

  /** A snapshot after the init and the prelude, and the compiled handler's [address, length]. */
  private record Snapshot(WasmSnapshot taken, int[] handler) {}

  /** Takes the snapshot in {@code pool}: the init, the prelude and the compiled handler. */
  public QuickJsRequests(WasmInstancePool pool) {
    snapshot = snapshot(pool);
  }

  private Snapshot snapshot(WasmInstancePool pool) {
    int[] handler = new int[2];
    try (Host host = new Host()) {
      WasmSnapshot taken =
          pool.snapshot(
              module,
              host.customizer(),
              instance -> System.arraycopy(init(instance), 0, handler, 0, 2));
      return new Snapshot(taken, handler);
    }
  }

  /** A worker of plain Chicory: instantiate, init, prelude, compile, run, close. */
  public Runnable plainRequests() {
    Host host = new Host();
    return () -> {
      host.reset();
      Instance.Builder builder = Instance.builder(module);
      host.customizer().accept(builder);
      Instance instance = builder.build();
      int[] script = init(instance);
      instance.export("invoke").apply(script[0], script[1], 0, 0);
      host.check();
    };
  }

  /** A worker of the pool: instantiate from the snapshot, run the handler, close. */
  public Runnable pooledRequests(WasmInstancePool pool) {
    Host host = new Host();
    return () -> {
      host.reset();
      try (PooledInstance pooled = pool.instantiate(snapshot.taken(), host.customizer())) {
        pooled
            .instance()
            .export("invoke")
            .apply(snapshot.handler()[0], snapshot.handler()[1], 0, 0);
      }
      host.check();
    };
  }

  /**
   * Takes the snapshot again in {@code pool} (a pool of the prepared side's own, so that the
   * default side's requests never find its instances on their slots) and prepares it: WASI from
   * each request's options, with the same fixed clock. Once per run.
   */
  public PreparedModule<WasiOptions> prepare(WasmInstancePool pool) {
    if (preparedSnapshot != null) {
      throw new IllegalStateException("the prepared side's snapshot is taken already");
    }
    preparedSnapshot = snapshot(pool);
    Linker<WasiOptions> linker =
        Linker.<WasiOptions>builder().wasi(Function.identity()).functions(INVOKE).build();
    return pool.prepare(
        preparedSnapshot.taken(), linker, b -> b.withMachineFactory(JavyPluginModule::create));
  }

  /**
   * A worker of the prepared snapshot ({@link #prepare}): an instance recycled to the snapshot's
   * state with the request's WASI options, the handler run, close.
   */
  public Runnable preparedRequests(PreparedModule<WasiOptions> prepared) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int[] handler = preparedSnapshot.handler();
    return () -> {
      stdout.reset();
      stderr.reset();
      WasiOptions options =
          WasiOptions.builder()
              .withStdout(stdout)
              .withStderr(stderr)
              .withClock(CLOCK)
              .withRandom(random)
              .build();
      try (PooledInstance pooled = prepared.instantiate(options)) {
        pooled.instance().export("invoke").apply(handler[0], handler[1], 0, 0);
      }
      check(stdout, stderr);
    };
  }

  /** The engine's runtime, the prelude, and the handler compiled: its [address, length]. */
  private static int[] init(Instance instance) {
    instance.export("initialize_runtime").apply();
    int[] prelude = compile(instance, PRELUDE);
    instance.export("invoke").apply(prelude[0], prelude[1], 0, 0);
    instance.export("canonical_abi_free").apply(prelude[0], prelude[1], 1);
    return compile(instance, HANDLER);
  }

  private static int[] compile(Instance instance, String js) {
    byte[] source = js.getBytes(StandardCharsets.UTF_8);
    var memory = instance.memory();
    int src = (int) instance.export("canonical_abi_realloc").apply(0, 0, 1, source.length)[0];
    memory.write(src, source);
    int compiled = (int) instance.export("compileSrc").apply(src, source.length)[0];
    instance.export("canonical_abi_free").apply(src, source.length, 1);
    return new int[] {memory.readInt(compiled), memory.readInt(compiled + 4)};
  }

  @Override
  public void close() {
    snapshot.taken().close();
    if (preparedSnapshot != null) {
      preparedSnapshot.taken().close();
    }
  }

  private static void check(ByteArrayOutputStream stdout, ByteArrayOutputStream stderr) {
    String out = stdout.toString(StandardCharsets.UTF_8);
    if (!out.equals(EXPECTED) || stderr.size() != 0) {
      throw new OutputMismatchException(
          "quickjs: printed '"
              + out.strip()
              + "' and "
              + stderr.size()
              + " bytes on stderr (expected: '"
              + EXPECTED.strip()
              + "' and nothing on stderr)");
    }
  }

  /** A WASI context with its own stdout, a fixed clock and a seeded random source. */
  private final class Host implements AutoCloseable {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final WasiPreview1 wasi;
    private final Consumer<Instance.Builder> customizer;

    Host() {
      var options =
          WasiOptions.builder()
              .withStdout(stdout)
              .withStderr(stderr)
              .withClock(CLOCK)
              .withRandom(new Random(1))
              .build();
      wasi = WasiPreview1.builder().withLogger(new SystemLogger()).withOptions(options).build();
      ImportValues imports =
          ImportValues.builder().addFunction(imported(wasi)).addFunction(INVOKE).build();
      customizer =
          builder -> builder.withMachineFactory(JavyPluginModule::create).withImportValues(imports);
    }

    /** WASI's functions that the module imports (Chicory matches each import against them). */
    private HostFunction[] imported(WasiPreview1 wasi) {
      var imports = module.importSection();
      var names = new HashSet<String>();
      for (int i = 0; i < imports.importCount(); i++) {
        names.add(imports.getImport(i).module() + "." + imports.getImport(i).name());
      }
      return Arrays.stream(wasi.toHostFunctions())
          .filter(f -> names.contains(f.module() + "." + f.name()))
          .toArray(HostFunction[]::new);
    }

    Consumer<Instance.Builder> customizer() {
      return customizer;
    }

    void reset() {
      stdout.reset();
      stderr.reset();
    }

    void check() {
      QuickJsRequests.check(stdout, stderr);
    }

    @Override
    public void close() {
      wasi.close();
    }
  }
}
