package dev.slotpool.cli.bench;

import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.ExecutionCompletedException;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.RecycleStats;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.Sizes;
import dev.slotpool.cli.report.Reports;
import dev.slotpool.memory.PoolStats;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link WasmRequestBench} for Chicory: plain Chicory ({@code Instance.builder(module)}, its own
 * memory filled from the data segments every time) against {@link WasmInstancePool}s, and against
 * the module prepared in a pool ({@link PreparedModule}, whose instances are recycled).
 *
 * <p>Not thread-safe.
 */
public final class ChicoryWasmBench implements WasmRequestBench {
  /*
   * Implementation notes
   *
   * This file is the template of the Endive implementation: slotpool-cli's pom copies it at
   * generate-sources with com.dylibso.chicory -> run.endive, dev.slotpool.chicory ->
   * dev.slotpool.endive, ChicoryException -> WasmEngineException and Chicory -> Endive, so it may
   * name only types both runtimes have under those names. The compiler is passed in (Endive's is
   * not on the class path), so nothing here names it.
   *
   * The pool-evict case alternates two parses of the same bytes: a pool's affinity is by module
   * identity, so each request finds the other parse's state in the one slot.
   *
   * Plain Chicory, the pools and the prepared module run on separate compilations of the module
   * (machine, poolMachine, preparedMachine):
   * a compiled module's loads and stores are call sites shared by all its instances, and once they
   * have seen two kinds of memory the JIT compiles them for both, which slows every row measured
   * after the first (c-sha256's work on ByteArrayMemory: 136 us clean, 158-381 us with both seen;
   * docs/BENCHMARKS.md). A service runs a module one way, so each row gets its own profile.
   */

  private static final String WASI = "wasi_snapshot_preview1";

  /** The pools' slot size: the builder's default maxMemoryBytes. */
  private static final long DEFAULT_SLOT_BYTES = 64L << 20;

  /** The logger WASI would pick itself; stateless, so every request shares it. */
  private static final SystemLogger LOGGER = new SystemLogger();

  private final WasmRequest request;
  private final WasmModule module;
  private final WasmModule twin;
  private final Function<Instance, Machine> machine;
  private final Function<Instance, Machine> poolMachine;
  private final Function<Instance, Machine> preparedMachine;
  private final Function<WasmModule, Function<Instance, Machine>> compiler;
  private Function<Instance, Machine> twinMachine;
  private final long[] args;
  private final boolean exportsStart;
  private Outcome expected;
  private PoolStats defaultStats;
  private Recycling preparedRecycling;

  private ChicoryWasmBench(
      WasmRequest request,
      WasmModule module,
      WasmModule twin,
      Function<WasmModule, Function<Instance, Machine>> compiler,
      long[] args) {
    this.request = request;
    this.module = module;
    this.twin = twin;
    this.machine = compiler == null ? InterpreterMachine::new : compiler.apply(module);
    this.poolMachine = compiler == null ? InterpreterMachine::new : compiler.apply(module);
    this.preparedMachine = compiler == null ? InterpreterMachine::new : compiler.apply(module);
    this.compiler = compiler;
    this.args = args;
    this.exportsStart = exports(module, "_start");
  }

  /**
   * Parses the module and checks its imports, the export and its arguments.
   *
   * @param compiler makes a module's machine factory with Chicory's compiler, or null for the
   *     interpreter
   * @throws BadInputException if the module does not parse, imports what the request does not give,
   *     or the export or arguments do not fit
   */
  public static ChicoryWasmBench of(
      WasmRequest request, Function<WasmModule, Function<Instance, Machine>> compiler) {
    String name = request.name();
    WasmModule module = parse(name, request.wasm());
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      Import imp = imports.getImport(i);
      boolean wasi = imp.module().equals(WASI) && imp.importType() == ExternalType.FUNCTION;
      if (wasi && !request.wasi()) {
        throw new BadInputException(
            name
                + ": the module imports "
                + imp.module()
                + "."
                + imp.name()
                + " (expected: --wasi for a WASI program)");
      }
      if (!wasi) {
        throw new BadInputException(
            name
                + ": the module imports "
                + imp.module()
                + "."
                + imp.name()
                + " (expected: no imports, or WASI functions with --wasi; bench wasm has no other"
                + " host functions)");
      }
    }
    checkMemories(name, module);
    long[] raw = new long[0];
    String export = request.export();
    if (export != null) {
      FunctionType type = exportedFunction(name, module, export);
      List<ValType> params = type.params();
      List<String> text = request.exportArgs();
      if (params.size() != text.size()) {
        throw new BadInputException(
            "--invoke "
                + export
                + ": "
                + text.size()
                + " argument(s) given (expected: "
                + params.size()
                + (params.isEmpty() ? "" : ": ")
                + String.join(", ", params.stream().map(ChicoryWasmBench::lower).toList())
                + ")");
      }
      raw = new long[params.size()];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = convert(export, i, params.get(i), text.get(i));
      }
    } else if (!request.exportArgs().isEmpty()) {
      throw new BadInputException("arguments given without --invoke EXPORT");
    } else if (request.wasi() && !exports(module, "_start")) {
      throw new BadInputException(
          name + ": --wasi: the module exports no _start (expected: a WASI command, or --invoke)");
    }
    return new ChicoryWasmBench(request, module, parse(name, request.wasm()), compiler, raw);
  }

  /** Refuses a module the pools compared cannot hold: the default slot size, one slot to evict. */
  private static void checkMemories(String name, WasmModule module) {
    var memories = module.memorySection();
    int count = memories.isPresent() ? memories.get().memoryCount() : 0;
    if (count > 1) {
      throw new BadInputException(
          name
              + ": defines "
              + count
              + " memories (expected: at most one; each memory takes a slot, and"
              + " wasm/pool-evict's pool has one)");
    }
    if (count == 1) {
      long pages = memories.get().getMemory(0).limits().initialPages();
      if (pages * 65_536 > DEFAULT_SLOT_BYTES) {
        throw new BadInputException(
            name
                + ": its memory starts at "
                + pages
                + " pages ("
                + Sizes.format(pages * 65_536.0)
                + ") (expected: at most "
                + DEFAULT_SLOT_BYTES / 65_536
                + " pages, "
                + Sizes.format(DEFAULT_SLOT_BYTES)
                + ", the slot size of the default pool the cases use)");
      }
    }
  }

  private static WasmModule parse(String name, byte[] wasm) {
    try {
      return Parser.parse(wasm);
    } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new BadInputException(
          name + ": not a WebAssembly module Chicory can parse (" + e.getMessage() + ")");
    }
  }

  private static boolean exports(WasmModule module, String function) {
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      var e = exports.getExport(i);
      if (e.exportType() == ExternalType.FUNCTION && e.name().equals(function)) {
        return true;
      }
    }
    return false;
  }

  private static FunctionType exportedFunction(String name, WasmModule module, String export) {
    var exports = module.exportSection();
    List<String> functions = new ArrayList<>();
    for (int i = 0; i < exports.exportCount(); i++) {
      var e = exports.getExport(i);
      if (e.exportType() == ExternalType.FUNCTION) {
        functions.add(e.name());
        if (e.name().equals(export)) {
          int index = e.index() - module.importSection().count(ExternalType.FUNCTION);
          if (index < 0) {
            throw new BadInputException(
                "--invoke " + export + ": re-exports an import (expected: a defined function)");
          }
          return module.typeSection().getType(module.functionSection().getFunctionType(index));
        }
      }
    }
    throw new BadInputException(
        "--invoke "
            + export
            + ": "
            + name
            + " exports no such function (expected one of: "
            + String.join(", ", functions)
            + ")");
  }

  private static long convert(String export, int index, ValType type, String text) {
    try {
      if (type.equals(ValType.I32)) {
        return Integer.parseInt(text);
      } else if (type.equals(ValType.I64)) {
        return Long.parseLong(text);
      } else if (type.equals(ValType.F32)) {
        return Value.floatToLong(Float.parseFloat(text));
      } else if (type.equals(ValType.F64)) {
        return Value.doubleToLong(Double.parseDouble(text));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadInputException(
        "--invoke "
            + export
            + ": argument "
            + (index + 1)
            + " '"
            + text
            + "' is not of type "
            + lower(type)
            + " (expected: a number of the parameter's type; i32, i64, f32 and f64 are supported)");
  }

  private static String lower(Object type) {
    return type.toString().toLowerCase(Locale.ROOT);
  }

  /** What one request produced: compared between plain Chicory and the pools. */
  private record Outcome(byte[] stdout, byte[] stderr, int exit, long[] result) {
    String differenceFrom(Outcome other) {
      if (exit != other.exit) {
        return "exit code " + other.exit + " instead of " + exit;
      }
      if (!Arrays.equals(result, other.result)) {
        return "result " + Arrays.toString(other.result) + " instead of " + Arrays.toString(result);
      }
      if (!Arrays.equals(stdout, other.stdout)) {
        return "stdout differs at byte "
            + Arrays.mismatch(stdout, other.stdout)
            + " ("
            + other.stdout.length
            + " bytes instead of "
            + stdout.length
            + ")";
      }
      if (!Arrays.equals(stderr, other.stderr)) {
        return "stderr differs at byte "
            + Arrays.mismatch(stderr, other.stderr)
            + " ("
            + other.stderr.length
            + " bytes instead of "
            + stderr.length
            + ")";
      }
      return null;
    }
  }

  @Override
  public String tryOnce() {
    try {
      expected = request(null, module, machine);
    } catch (ChicoryException e) {
      throw new BadInputException(
          request.name()
              + ": "
              + (request.export() == null ? "_start" : request.export())
              + " failed: "
              + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ")
              + " (expected: a request that returns, or exits through WASI)");
    }
    if (request.export() != null) {
      StringBuilder text = new StringBuilder(request.export()).append('(');
      for (int i = 0; i < args.length; i++) {
        text.append(i == 0 ? "" : ", ").append(request.exportArgs().get(i));
      }
      text.append(") = ").append(expected.result == null ? "[]" : Arrays.toString(expected.result));
      if (request.wasi()) {
        text.append(", ").append(output(expected));
      }
      return text.toString();
    }
    return request.wasi() ? "_start: " + output(expected) : "instantiated";
  }

  private static String output(Outcome o) {
    return "exit "
        + o.exit
        + ", "
        + o.stdout.length
        + " bytes on stdout, "
        + o.stderr.length
        + " on stderr";
  }

  @Override
  public byte[] firstStdout() {
    return expected == null ? new byte[0] : expected.stdout.clone();
  }

  @Override
  public List<String[]> measureAll(Duration warmup, Duration measurement) {
    if (expected == null) {
      tryOnce();
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(time(PLAIN, () -> check(PLAIN, request(null, module, machine)), warmup, measurement));
    try (WasmInstancePool pool = WasmInstancePool.builder().build()) {
      rows.add(
          time(
              POOL_DEFAULT,
              () -> check(POOL_DEFAULT, request(pool, module, poolMachine)),
              warmup,
              measurement));
      defaultStats = pool.stats();
    }
    try (WasmInstancePool pool = WasmInstancePool.builder().build()) {
      PreparedModule<WasiOptions> prepared = prepare(pool);
      if (prepared.recycles()) {
        rows.add(time(PREPARED, () -> check(PREPARED, request(prepared)), warmup, measurement));
      } else {
        check(PREPARED, request(prepared)); // it works, and its statistics say why it built
        rows.add(new String[] {PREPARED, "", ""});
      }
      preparedRecycling = recycling(prepared.recycleStats());
    }
    try (WasmInstancePool pool =
        WasmInstancePool.builder().keepResidentBytes(FIXED_KEEP_RESIDENT).build()) {
      rows.add(
          time(
              POOL_FIXED,
              () -> check(POOL_FIXED, request(pool, module, poolMachine)),
              warmup,
              measurement));
    }
    if (twinMachine == null) {
      twinMachine = compiler == null ? InterpreterMachine::new : compiler.apply(twin);
    }
    try (WasmInstancePool pool = WasmInstancePool.builder().slots(1).build()) {
      boolean[] flip = {false};
      Runnable evict =
          () -> {
            flip[0] = !flip[0];
            check(
                POOL_EVICT,
                flip[0] ? request(pool, module, poolMachine) : request(pool, twin, twinMachine));
          };
      rows.add(time(POOL_EVICT, evict, warmup, measurement));
    }
    return rows;
  }

  /**
   * One plain request per call, its output checked against the first request's: for a thread of its
   * own (the returned task is thread-safe, as every request has its own WASI context).
   *
   * @throws OutputMismatchException from the task if a request's output differs
   */
  public Runnable plainRequests() {
    if (expected == null) {
      tryOnce();
    }
    return () -> check(PLAIN, request(null, module, machine));
  }

  /**
   * As {@link #plainRequests()}, each request instantiating from {@code pool} (on a compilation of
   * the module of its own, so that the plain requests' profile stays clean).
   */
  public Runnable pooledRequests(WasmInstancePool pool) {
    if (expected == null) {
      tryOnce();
    }
    return () -> check(POOL_DEFAULT, request(pool, module, poolMachine));
  }

  /**
   * The module prepared in {@code pool} as the README's quick start does ({@code Linker.wasi()} for
   * a WASI program; no imports, and a null context, otherwise), on a compilation of its own. Its
   * instances run nothing while instantiating: {@link #preparedRequests} calls the entry point.
   */
  public PreparedModule<WasiOptions> prepare(WasmInstancePool pool) {
    Linker<WasiOptions> linker =
        request.wasi() ? Linker.wasi() : Linker.<WasiOptions>builder().build();
    return pool.prepare(module, linker, b -> b.withMachineFactory(preparedMachine));
  }

  /**
   * As {@link #plainRequests()}, each request instantiating {@code prepared} (from {@link
   * #prepare}) with its own WASI options.
   */
  public Runnable preparedRequests(PreparedModule<WasiOptions> prepared) {
    if (expected == null) {
      tryOnce();
    }
    return () -> check(PREPARED, request(prepared));
  }

  /** The runtime-neutral form of {@code stats}. */
  public static Recycling recycling(RecycleStats stats) {
    Map<String, Long> reasons = new LinkedHashMap<>();
    stats.notRecycled().forEach((reason, count) -> reasons.put(reason.name(), count));
    return new Recycling(stats.recycled(), stats.built(), reasons);
  }

  private static String[] time(String name, Runnable op, Duration warmup, Duration measurement) {
    TimedLoop.Result r = TimedLoop.run(op, warmup, measurement);
    return new String[] {name, Reports.fixed(r.nanosPerOp(), 1), Long.toString(r.iterations())};
  }

  private void check(String where, Outcome actual) {
    String difference = expected.differenceFrom(actual);
    if (difference != null) {
      throw new OutputMismatchException(
          request.name()
              + ": "
              + where
              + ": "
              + difference
              + " (expected: the output of the first plain Chicory request; a program whose output"
              + " varies from run to run, with the clock or random numbers, cannot be compared)");
    }
  }

  /**
   * One request: a fresh WASI context if asked, an instance, the entry point, the instance closed.
   */
  private Outcome request(
      WasmInstancePool pool, WasmModule which, Function<Instance, Machine> machineFactory) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream(request.wasi() ? 256 : 0);
    ByteArrayOutputStream stderr = new ByteArrayOutputStream(0);
    WasiPreview1 wasi = null;
    if (request.wasi()) {
      // A logger of its own spares Chicory's per-build Android probe (a failing Class.forName).
      wasi = WasiPreview1.builder().withLogger(LOGGER).withOptions(options(stdout, stderr)).build();
    }
    ImportValues imports =
        wasi == null
            ? ImportValues.empty()
            : ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
    boolean start = request.export() == null;
    Consumer<Instance.Builder> customizer =
        b -> b.withImportValues(imports).withMachineFactory(machineFactory).withStart(start);
    long[] result = null;
    int exit = 0;
    try {
      if (pool == null) {
        Instance.Builder builder = Instance.builder(which);
        customizer.accept(builder);
        result = call(builder.build());
      } else {
        try (PooledInstance pooled = pool.instantiate(which, customizer)) {
          result = call(pooled.instance());
        }
      }
    } catch (WasiExitException e) {
      exit = e.exitCode();
    } finally {
      if (wasi != null) {
        wasi.close();
      }
    }
    return new Outcome(stdout.toByteArray(), stderr.toByteArray(), exit, result);
  }

  /**
   * One request of a prepared module: its WASI options, an instance, the entry point ({@code
   * _start}, which a prepared instance does not run while instantiating, is called here as
   * instantiating runs it on the other sides), the instance closed.
   */
  private Outcome request(PreparedModule<WasiOptions> prepared) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream(request.wasi() ? 256 : 0);
    ByteArrayOutputStream stderr = new ByteArrayOutputStream(0);
    long[] result = null;
    int exit = 0;
    try (PooledInstance pooled =
        prepared.instantiate(request.wasi() ? options(stdout, stderr) : null)) {
      Instance instance = pooled.instance();
      if (request.export() != null) {
        result = call(instance);
      } else if (exportsStart) {
        try {
          instance.export("_start").apply();
        } catch (ExecutionCompletedException e) {
          // as Chicory's instantiation treats it: _start finished
        }
      }
    } catch (WasiExitException e) {
      exit = e.exitCode();
    }
    return new Outcome(stdout.toByteArray(), stderr.toByteArray(), exit, result);
  }

  /** A request's WASI options: the request's arguments, stdin and environment; output captured. */
  private WasiOptions options(ByteArrayOutputStream stdout, ByteArrayOutputStream stderr) {
    WasiOptions.Builder options =
        WasiOptions.builder()
            .withArguments(request.wasiArgs())
            .withStdin(new ByteArrayInputStream(request.stdin()))
            .withStdout(stdout)
            .withStderr(stderr);
    request.env().forEach(options::withEnvironment);
    return options.build();
  }

  private long[] call(Instance instance) {
    if (request.export() == null) {
      return null;
    }
    long[] result = instance.export(request.export()).apply(args.clone());
    return result == null ? new long[0] : result;
  }

  @Override
  public PoolStats defaultPoolStats() {
    return defaultStats;
  }

  @Override
  public Recycling preparedRecycling() {
    return preparedRecycling;
  }

  @Override
  public long initialMemoryBytes() {
    long initial = 0;
    var memories = module.memorySection();
    if (memories.isPresent()) {
      for (int i = 0; i < memories.get().memoryCount(); i++) {
        initial = Math.max(initial, memories.get().getMemory(i).limits().initialPages() * 65_536L);
      }
    }
    return initial;
  }
}
