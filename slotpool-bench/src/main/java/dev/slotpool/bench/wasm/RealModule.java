package dev.slotpool.bench.wasm;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Import;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.WasmInstancePool;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * One module of the real-module corpus ({@link RealModules}): the parsed module, the machine that
 * runs it under each {@link Engine}, and one request of its own work.
 *
 * <p>A request builds a fresh WASI context (arguments, stdin, captured stdout and stderr, and a
 * logger, so that Chicory skips its per-build platform probe; the module's other imports are stubs
 * that throw, since the requests never reach them), instantiates the module through an {@link
 * Instantiator}, runs the module's entry point ({@code _start} of a WASI command runs during
 * instantiation, as Chicory does by default; a library's exports are called on the instance), drops
 * the instance and returns everything the module wrote: the same bytes for every runtime and
 * memory, or the module misbehaved.
 *
 * <p>Some modules also have a <em>work function</em>: an export that can be called again and again
 * on one instance without WASI input, for execution-only comparisons.
 *
 * <p>Thread-safe: {@link #module()} parses once and returns the same object to every caller (a
 * pool's affinity is by module identity), the compiled machine factory is made once, and requests
 * share no mutable state.
 */
public final class RealModule {
  /*
   * Implementation notes
   *
   * The module and the compiled machine factory are lazily computed, double-checked on volatile
   * fields: loading every module (or compiling all of them) when the catalog is first touched
   * would cost seconds a benchmark of one module does not need. A library's request body sees the
   * instance while it is alive; its result is appended to what the module wrote to stdout and
   * stderr, in that order.
   *
   * Every WASI context is given the logger Chicory would pick itself on a JVM: a WasiPreview1
   * built without one first probes for Android with Class.forName("android.os.Build"), which fails
   * with an exception on every build, a tenth of a short pooled request (docs/BENCHMARKS.md).
   */

  /** The logger WasiPreview1 would choose on a JVM; stateless, so one serves every request. */
  private static final Logger LOGGER = new SystemLogger();

  private final String name;
  private final String toolchain;
  private final Supplier<WasmModule> loader;
  private final Function<Instance, Machine> buildTimeMachine;
  private final List<String> args;
  private final byte[] stdin;
  private final Supplier<Map<String, Path>> directories;
  private final Function<Instance, byte[]> body;
  private final Supplier<byte[]> files;
  private final ToLongFunction<Instance> work;

  private volatile WasmModule module;
  private volatile Function<Instance, Machine> compiled;
  private volatile HostFunction[] stubs;
  private volatile Boolean command;

  private RealModule(Builder b) {
    this.name = b.name;
    this.toolchain = b.toolchain;
    this.loader = b.loader;
    this.buildTimeMachine = b.buildTimeMachine;
    this.args = List.copyOf(b.args);
    this.stdin = b.stdin.clone();
    this.directories = b.directories;
    this.body = b.body;
    this.files = b.files;
    this.work = b.work;
  }

  static Builder builder(String name, String toolchain, Supplier<WasmModule> loader) {
    return new Builder(name, toolchain, loader);
  }

  /** The module's name in the corpus, e.g. {@code c-greet}. */
  public String name() {
    return name;
  }

  /** The language and toolchain that compiled it, e.g. {@code C, clang 14 + wasi-libc}. */
  public String toolchain() {
    return toolchain;
  }

  /** The parsed module; the same object on every call. */
  public WasmModule module() {
    WasmModule m = module;
    if (m == null) {
      synchronized (this) {
        m = module;
        if (m == null) {
          m = loader.get();
          module = m;
        }
      }
    }
    return m;
  }

  /** Whether Chicory's interpreter can run it (false when only a build-time machine has code). */
  public boolean interpretable() {
    return buildTimeMachine == null;
  }

  /** The WASI arguments of a request, the program name first (empty for a library). */
  public List<String> args() {
    return args;
  }

  /** A copy of the stdin of a request. */
  public byte[] stdin() {
    return stdin.clone();
  }

  /**
   * The machine factory for {@code engine}: the interpreter, or the module's compiled machine
   * (compiled on the first call, then the same factory).
   *
   * @throws UnsupportedOperationException for the interpreter on a module that has no interpretable
   *     code, or for the compiler where the runtime on the class path has none that runs (see
   *     {@code RuntimeSpecifics})
   */
  public Function<Instance, Machine> machineFactory(Engine engine) {
    if (engine == Engine.INTERPRETER) {
      if (buildTimeMachine != null) {
        throw new UnsupportedOperationException(
            name
                + ": engine INTERPRETER (expected: COMPILER; its .meta module has no code bodies)");
      }
      return InterpreterMachine::new;
    }
    if (buildTimeMachine != null) {
      return buildTimeMachine;
    }
    Function<Instance, Machine> c = compiled;
    if (c == null) {
      synchronized (this) {
        c = compiled;
        if (c == null) {
          c = RuntimeSpecifics.compile(name, module());
          compiled = c;
        }
      }
    }
    return c;
  }

  /**
   * Runs one request: a fresh WASI context, an instance from {@code instantiator} running on {@code
   * machine}, the module's entry point, the instance dropped.
   *
   * @return what the module wrote (stdout, then stderr, then any result of a library's body or
   *     files it wrote)
   * @throws IllegalStateException if the program exits with a non-zero code
   */
  public byte[] request(Instantiator instantiator, Function<Instance, Machine> machine) {
    var stdout = new ByteArrayOutputStream(256);
    var stderr = new ByteArrayOutputStream(0);
    byte[] result = null;
    try (WasiPreview1 wasi = wasi(stdout, stderr)) {
      ImportValues imports = imports(wasi);
      result =
          instantiator.run(
              module(),
              b -> b.withImportValues(imports).withMachineFactory(machine),
              instance -> body == null ? null : body.apply(instance));
    } catch (WasiExitException e) {
      checkExit(e, stderr);
    }
    return output(stdout, stderr, result);
  }

  /**
   * Gets an instance as {@link #request} does (a fresh WASI context, the same imports, {@code
   * machine}) but runs neither its start function nor its entry point, and drops it: what getting
   * an instance costs, without the module's own work.
   *
   * @return the instance's memory size in pages: its initial size, since nothing ran
   */
  public int instantiate(Instantiator instantiator, Function<Instance, Machine> machine) {
    try (WasiPreview1 wasi = wasi(new ByteArrayOutputStream(0), new ByteArrayOutputStream(0))) {
      ImportValues imports = imports(wasi);
      return instantiator.run(
          module(),
          b -> b.withImportValues(imports).withMachineFactory(machine).withStart(false),
          instance -> instance.memory() == null ? 0 : instance.memory().pages());
    }
  }

  /**
   * The module prepared in {@code pool} as the README's quick start does: WASI from each request's
   * options (and the throwing stubs for any other import), running on {@code machine}.
   */
  public PreparedModule<WasiOptions> prepare(
      WasmInstancePool pool, Function<Instance, Machine> machine) {
    return pool.prepare(module(), linker(), b -> b.withMachineFactory(machine));
  }

  /** WASI from each request's options, and the throwing stubs for any other import. */
  public Linker<WasiOptions> linker() {
    return Linker.<WasiOptions>builder().wasi(Function.identity()).functions(stubs()).build();
  }

  /**
   * Runs one request on an instance of {@code prepared} (see {@link #prepare}): the same WASI
   * input, entry point and output as {@link #request}, with {@code _start} called explicitly, since
   * a prepared module's instances never run it while instantiating.
   */
  public byte[] request(PreparedModule<WasiOptions> prepared) {
    var stdout = new ByteArrayOutputStream(256);
    var stderr = new ByteArrayOutputStream(0);
    byte[] result = null;
    try (PooledInstance pooled = prepared.instantiate(options(stdout, stderr))) {
      Instance instance = pooled.instance();
      if (isCommand()) {
        instance.export("_start").apply();
      }
      result = body == null ? null : body.apply(instance);
    } catch (WasiExitException e) {
      checkExit(e, stderr);
    }
    return output(stdout, stderr, result);
  }

  /** Fails unless the program exited with code 0. */
  private void checkExit(WasiExitException e, ByteArrayOutputStream stderr) {
    if (e.exitCode() != 0) {
      throw new IllegalStateException(
          name
              + ": exit code "
              + e.exitCode()
              + " (expected: 0); stderr: "
              + stderr.toString(StandardCharsets.UTF_8),
          e);
    }
  }

  /** What a request wrote: stdout, stderr, a library's result, then the files it wrote. */
  private byte[] output(ByteArrayOutputStream stdout, ByteArrayOutputStream stderr, byte[] result) {
    var out = new ByteArrayOutputStream(stdout.size() + stderr.size() + 64);
    out.writeBytes(stdout.toByteArray());
    out.writeBytes(stderr.toByteArray());
    if (result != null) {
      out.writeBytes(result);
    }
    if (files != null) {
      out.writeBytes(files.get());
    }
    return out.toByteArray();
  }

  /** The instance part of a prepared request alone: its WASI options, an instance, the close. */
  public int instantiate(PreparedModule<WasiOptions> prepared) {
    try (PooledInstance pooled =
        prepared.instantiate(options(new ByteArrayOutputStream(0), new ByteArrayOutputStream(0)))) {
      Instance instance = pooled.instance();
      return instance.memory() == null ? 0 : instance.memory().pages();
    }
  }

  /** Whether the module is a WASI command (it exports {@code _start}); looked up once. */
  private boolean isCommand() {
    Boolean c = command;
    if (c == null) {
      c = false;
      var exports = module().exportSection();
      for (int i = 0; i < exports.exportCount(); i++) {
        c |= exports.getExport(i).name().equals("_start");
      }
      command = c;
    }
    return c;
  }

  /** A request's WASI context: its arguments, stdin and directories, output into the streams. */
  private WasiPreview1 wasi(OutputStream stdout, OutputStream stderr) {
    return WasiPreview1.builder().withLogger(LOGGER).withOptions(options(stdout, stderr)).build();
  }

  /** A request's WASI options: its arguments, stdin and directories, output into the streams. */
  private WasiOptions options(OutputStream stdout, OutputStream stderr) {
    WasiOptions.Builder options =
        WasiOptions.builder()
            .withArguments(args)
            .withStdin(new ByteArrayInputStream(stdin))
            .withStdout(stdout)
            .withStderr(stderr);
    directories.get().forEach(options::withDirectory);
    return options.build();
  }

  /** Whether the module has a work function ({@link #work(Instance)}). */
  public boolean hasWork() {
    return work != null;
  }

  /**
   * What to set on Chicory's builder for an instance that {@link #work(Instance)} is called on:
   * imports (WASI with no input; output discarded), {@code machine}, and no start function.
   */
  public Consumer<Instance.Builder> workCustomizer(Function<Instance, Machine> machine) {
    if (work == null) {
      throw new UnsupportedOperationException(name + " has no work function");
    }
    WasiPreview1 wasi =
        WasiPreview1.builder()
            .withLogger(LOGGER)
            .withOptions(
                WasiOptions.builder()
                    .withArguments(List.of(name))
                    .withStdout(OutputStream.nullOutputStream())
                    .withStderr(OutputStream.nullOutputStream())
                    .build())
            .build();
    ImportValues imports = imports(wasi);
    return b -> b.withImportValues(imports).withMachineFactory(machine).withStart(false);
  }

  /** Calls the work function once on {@code instance} and returns its result. */
  public long work(Instance instance) {
    if (work == null) {
      throw new UnsupportedOperationException(name + " has no work function");
    }
    return work.applyAsLong(instance);
  }

  @Override
  public String toString() {
    return name + " (" + toolchain + ")";
  }

  private ImportValues imports(WasiPreview1 wasi) {
    return ImportValues.builder().addFunction(wasi.toHostFunctions()).addFunction(stubs()).build();
  }

  /** A throwing host function for every import that is not WASI. */
  private HostFunction[] stubs() {
    HostFunction[] s = stubs;
    if (s == null) {
      WasmModule m = module();
      var list = new ArrayList<HostFunction>();
      for (int i = 0; i < m.importSection().importCount(); i++) {
        Import imp = m.importSection().getImport(i);
        if (imp.importType() != ExternalType.FUNCTION
            || imp.module().equals("wasi_snapshot_preview1")) {
          continue;
        }
        String what = imp.module() + "." + imp.name();
        list.add(
            new HostFunction(
                imp.module(),
                imp.name(),
                m.typeSection().getType(((FunctionImport) imp).typeIndex()),
                (instance, values) -> {
                  throw new IllegalStateException(
                      name + ": host function " + what + " is not provided by the benchmark");
                }));
      }
      s = list.toArray(HostFunction[]::new);
      stubs = s;
    }
    return s;
  }

  /** Describes a module; {@link RealModules} holds the corpus. */
  static final class Builder {
    private final String name;
    private final String toolchain;
    private final Supplier<WasmModule> loader;
    private Function<Instance, Machine> buildTimeMachine;
    private List<String> args = List.of();
    private byte[] stdin = new byte[0];
    private Supplier<Map<String, Path>> directories = Map::of;
    private Function<Instance, byte[]> body;
    private Supplier<byte[]> files;
    private ToLongFunction<Instance> work;

    private Builder(String name, String toolchain, Supplier<WasmModule> loader) {
      this.name = name;
      this.toolchain = toolchain;
      this.loader = loader;
    }

    Builder buildTimeMachine(Function<Instance, Machine> machine) {
      this.buildTimeMachine = machine;
      return this;
    }

    Builder args(String... values) {
      this.args = List.of(values);
      return this;
    }

    Builder stdin(byte[] bytes) {
      this.stdin = bytes;
      return this;
    }

    /** Directories to preopen, guest path to host path, asked for at each request. */
    Builder directories(Supplier<Map<String, Path>> dirs) {
      this.directories = dirs;
      return this;
    }

    /** The request of a library: calls on the live instance; the result is part of the output. */
    Builder body(Function<Instance, byte[]> requestBody) {
      this.body = requestBody;
      return this;
    }

    /** Files the program wrote, read after the request, as part of its output. */
    Builder files(Supplier<byte[]> written) {
      this.files = written;
      return this;
    }

    Builder work(ToLongFunction<Instance> function) {
      this.work = function;
      return this;
    }

    RealModule build() {
      return new RealModule(this);
    }
  }
}
