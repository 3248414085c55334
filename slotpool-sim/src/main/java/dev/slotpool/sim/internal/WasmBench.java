package dev.slotpool.sim.internal;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times "instantiate, call one export, drop the instance" for a WebAssembly module four ways:
 * {@code wasm/default} (Chicory alone, memory allocated and filled from the data segments every
 * time), {@code wasm/pooled-cold} (a one-slot {@link WasmInstancePool} shared by two parses of the
 * module in turn, so each instantiation maps its image afresh) and {@code wasm/pooled-warm} (the
 * same module again and again: an affinity hit that maps nothing), and {@code
 * wasm/pooled-warm-confined} (the same with thread-confined leases, whose release skips the
 * JVM-wide handshake of closing a shared arena: the setting for one instance per request).
 *
 * <p>Not thread-safe. Modules with imports are refused: the command has no host functions to give
 * them.
 */
public final class WasmBench {
  /** The fixed keep-resident of the wasm/pool-fixed-keep-resident case (Wasmtime's knob). */
  public static final long FIXED_KEEP_RESIDENT = 64 * 1024;

  private final String name;
  private final WasmModule module;
  private final WasmModule twin;
  private final String export;
  private final long[] args;
  private final long maxMemoryBytes;
  private long sink;

  private WasmBench(
      String name, WasmModule module, WasmModule twin, String export, long[] args, long max) {
    this.name = name;
    this.module = module;
    this.twin = twin;
    this.export = export;
    this.args = args;
    this.maxMemoryBytes = max;
  }

  /**
   * Parses the module and checks the export and its arguments.
   *
   * @param name the file name, for messages
   * @param export the function to call each time, or null to only instantiate
   * @param args its arguments as text: integers for i32/i64, decimals for f32/f64
   * @throws BadInputException if the module does not parse, has imports, or the export or arguments
   *     do not fit
   */
  public static WasmBench of(String name, byte[] wasm, String export, List<String> args) {
    WasmModule module;
    try {
      module = Parser.parse(wasm);
    } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new BadInputException(
          name + ": not a WebAssembly module Chicory can parse (" + e.getMessage() + ")");
    }
    if (module.importSection().importCount() > 0) {
      throw new BadInputException(
          name
              + ": the module imports "
              + module.importSection().getImport(0).module()
              + "."
              + module.importSection().getImport(0).name()
              + " (expected: a module without imports; bench wasm has no host functions)");
    }
    long[] raw = new long[0];
    if (export != null) {
      FunctionType type = exportedFunction(name, module, export);
      List<ValType> params = type.params();
      if (params.size() != args.size()) {
        throw new BadInputException(
            "--invoke "
                + export
                + ": "
                + args.size()
                + " argument(s) given (expected: "
                + params.size()
                + ": "
                + String.join(", ", params.stream().map(WasmBench::lower).toList())
                + ")");
      }
      raw = new long[params.size()];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = convert(export, i, params.get(i), args.get(i));
      }
    } else if (!args.isEmpty()) {
      throw new BadInputException("arguments given without --invoke EXPORT");
    }
    long initial = 0;
    var memories = module.memorySection();
    if (memories.isPresent()) {
      for (int i = 0; i < memories.get().memoryCount(); i++) {
        initial = Math.max(initial, memories.get().getMemory(i).limits().initialPages() * 65_536L);
      }
    }
    long max = Math.max(2 * initial, 64L << 20);
    return new WasmBench(name, module, Parser.parse(wasm), export, raw, max);
  }

  private static FunctionType exportedFunction(String name, WasmModule module, String export) {
    var exports = module.exportSection();
    List<String> functions = new ArrayList<>();
    for (int i = 0; i < exports.exportCount(); i++) {
      var e = exports.getExport(i);
      if (e.exportType() == ExternalType.FUNCTION) {
        functions.add(e.name());
        if (e.name().equals(export)) {
          return Instance.builder(module).withStart(false).build().exportType(export);
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

  /** One call on a fresh default instance, described: {@code add(2, 3) = [5]}. */
  public String tryOnce() {
    if (export == null) {
      Instance.builder(module).build();
      return name + ": instantiated";
    }
    long[] result = Instance.builder(module).build().export(export).apply(args.clone());
    StringBuilder text = new StringBuilder(export).append('(');
    for (int i = 0; i < args.length; i++) {
      text.append(i == 0 ? "" : ", ").append(args[i]);
    }
    text.append(") = ").append(result == null ? "[]" : Arrays.toString(result));
    return text.toString();
  }

  /** Times the four ways, each after a warm-up. */
  public List<String[]> measureAll(Duration warmup, Duration measurement) {
    List<String[]> rows = new ArrayList<>();
    rows.add(row("wasm/default", TimedLoop.run(this::defaultTrip, warmup, measurement)));
    try (WasmInstancePool pool =
        WasmInstancePool.builder().slots(1).maxMemoryBytes(maxMemoryBytes).build()) {
      boolean[] flip = {false};
      Runnable cold =
          () -> {
            flip[0] = !flip[0];
            pooledTrip(pool, flip[0] ? module : twin);
          };
      rows.add(row("wasm/pooled-cold", TimedLoop.run(cold, warmup, measurement)));
      rows.add(
          row(
              "wasm/pooled-warm",
              TimedLoop.run(() -> pooledTrip(pool, module), warmup, measurement)));
    }
    try (WasmInstancePool pool =
        WasmInstancePool.builder()
            .slots(1)
            .maxMemoryBytes(maxMemoryBytes)
            .threadConfined(true)
            .build()) {
      rows.add(
          row(
              "wasm/pooled-warm-confined",
              TimedLoop.run(() -> pooledTrip(pool, module), warmup, measurement)));
    }
    // The per-request comparison: the pool as built by default, and with Wasmtime's fixed knob.
    try (WasmInstancePool pool =
        WasmInstancePool.builder().maxMemoryBytes(maxMemoryBytes).build()) {
      rows.add(
          row(
              "wasm/pool-default",
              TimedLoop.run(() -> pooledTrip(pool, module), warmup, measurement)));
    }
    try (WasmInstancePool pool =
        WasmInstancePool.builder()
            .maxMemoryBytes(maxMemoryBytes)
            .keepResidentBytes(FIXED_KEEP_RESIDENT)
            .build()) {
      rows.add(
          row(
              "wasm/pool-fixed-keep-resident",
              TimedLoop.run(() -> pooledTrip(pool, module), warmup, measurement)));
    }
    return rows;
  }

  private void defaultTrip() {
    call(Instance.builder(module).build());
  }

  private void pooledTrip(WasmInstancePool pool, WasmModule which) {
    try (PooledInstance pooled = pool.instantiate(which)) {
      call(pooled.instance());
    }
  }

  private void call(Instance instance) {
    if (export != null) {
      long[] result = instance.export(export).apply(args.clone());
      sink += (result == null || result.length == 0) ? 1 : result[0];
    }
  }

  private static String[] row(String name, TimedLoop.Result r) {
    return new String[] {name, Reports.fixed(r.nanosPerOp(), 1), Long.toString(r.iterations())};
  }

  /** The module's largest initial memory, in bytes: its working set for the cost model. */
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

  /** Keeps the calls' results observable. */
  long sink() {
    return sink;
  }
}
