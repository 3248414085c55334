package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.slotpool.chicory.internal.SnapshotState;
import dev.slotpool.chicory.internal.WasmBinary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes a {@link WasmSnapshot} as a new WebAssembly module, as Wizer does: instantiated by any
 * runtime, without running the init, the module starts where the snapshot stands.
 *
 * <p>The written module is the original one with: each defined memory's minimum size set to its
 * captured size and its captured bytes as active data segments (only the non-zero runs); every
 * mutable global's initialiser set to its captured value; each defined table's minimum set to its
 * captured size and its captured entries written by an active element segment appended after the
 * module's own; the passive data and element segments the init dropped emptied (a dropped segment
 * and an empty one behave the same); the start section removed, and the exports named by the caller
 * (the init function, typically) removed. The module's own active data segments become empty, as
 * their bytes are in the captured memory. Code, types, imports, immutable globals and custom
 * sections are copied as they are, so function indices and a build-time-compiled machine stay
 * valid.
 *
 * <p>Refused with {@link UnsupportedOperationException}, before anything is written: bytes that are
 * not the module the snapshot was taken of; a constant expression the writer cannot read (GC
 * instructions); a table entry or global holding a reference that is not a function; and an export
 * to remove that the module does not have. What a snapshot itself refuses (imported memories,
 * tables and mutable globals, shared memories) never reaches the writer.
 *
 * <p>Stateless; {@link #write} may be called from any thread while the snapshot is open.
 */
/*
 * Implementation notes
 *
 * The captured state is read back from one instance started from the snapshot (so the writer sees
 * exactly what instantiate(snapshot) gives); the original bytes are split into sections by
 * WasmBinary and re-emitted in their order, rewriting memory (5), global (6), export (7), element
 * (9), data count (12) and data (11), and dropping start (8). Data segments keep their indices
 * (memory.init and data.drop name them): the original active ones are replaced by empty ones in
 * place, the memory runs are appended. Runs are found at byte granularity and merged across gaps
 * shorter than GAP bytes (a segment header costs about as much), with the gap doubled until there
 * are at most MAX_SEGMENTS of them (engines cap a module's data segments at 100,000).
 */
public final class SnapshotWriter {
  private static final int GAP = 32;
  private static final int MAX_SEGMENTS = 10_000;
  private static final int CHUNK = 1 << 20;

  private SnapshotWriter() {}

  /**
   * Writes {@code snapshot} as a module to {@code out}.
   *
   * @param snapshot an open snapshot
   * @param module the bytes of the module the snapshot was taken of
   * @param out where the new module goes; not closed
   * @param removeExports the exports the new module no longer has (the init function: its work is
   *     done)
   * @throws UnsupportedOperationException naming what the binary format cannot express, or if
   *     {@code module} is not the snapshot's module
   * @throws IllegalStateException if the snapshot is closed
   * @throws UncheckedIOException if {@code out} fails
   */
  public static void write(
      WasmSnapshot snapshot, byte[] module, OutputStream out, String... removeExports) {
    byte[] written = toBytes(snapshot, module, removeExports);
    try {
      out.write(written);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The bytes {@link #write} would write.
   *
   * @throws UnsupportedOperationException as {@link #write}
   */
  public static byte[] toBytes(WasmSnapshot snapshot, byte[] module, String... removeExports) {
    WasmModule parsed = Parser.parse(module);
    checkSameModule(snapshot.module(), parsed);
    try (PooledInstance pooled = snapshot.pool().instantiate(snapshot)) {
      return rewrite(pooled.instance(), parsed, module, Set.copyOf(Arrays.asList(removeExports)));
    }
  }

  private static void checkSameModule(WasmModule expected, WasmModule actual) {
    int[] a = shape(expected);
    int[] b = shape(actual);
    if (!Arrays.equals(a, b)) {
      throw refused(
          "the bytes are not the module the snapshot was taken of (imports, functions, tables,"
              + " memories, globals, exports, elements, data: "
              + Arrays.toString(b)
              + ", expected: "
              + Arrays.toString(a)
              + ")");
    }
  }

  private static int[] shape(WasmModule m) {
    return new int[] {
      m.importSection().importCount(),
      m.functionSection().functionCount(),
      m.tableSection().tableCount(),
      m.memorySection().map(s -> s.memoryCount()).orElse(0),
      m.globalSection().globalCount(),
      m.exportSection().exportCount(),
      m.elementSection().elementCount(),
      m.dataSection().dataSegments().length
    };
  }

  private static byte[] rewrite(
      Instance instance, WasmModule parsed, byte[] bytes, Set<String> removeExports) {
    List<WasmBinary.Section> sections = WasmBinary.sections(bytes);
    var missing = new HashSet<>(removeExports);
    for (int i = 0; i < parsed.exportSection().exportCount(); i++) {
      missing.remove(parsed.exportSection().getExport(i).name());
    }
    if (!missing.isEmpty()) {
      throw refused("the module has no export named " + missing.iterator().next());
    }
    int importedGlobals = instance.imports().globalCount();
    int memories = parsed.memorySection().map(s -> s.memoryCount()).orElse(0);
    int[] pages = new int[memories];
    for (int i = 0; i < memories; i++) {
      pages[i] = instance.memory(i).pages();
    }
    int tables = parsed.tableSection().tableCount();
    int[] tableSizes = new int[tables];
    for (int t = 0; t < tables; t++) {
      tableSizes[t] = instance.table(t).size();
    }
    var tableTypes = new byte[tables][];
    List<long[]> runs = runs(instance, parsed);

    var out = new ByteArrayOutputStream();
    out.writeBytes(Arrays.copyOf(bytes, 8));
    boolean elementsWritten = tables == 0;
    boolean dataWritten = memories == 0;
    boolean hasData = sections.stream().anyMatch(s -> s.id() == 11);
    for (WasmBinary.Section s : sections) {
      int id = s.id();
      if (!elementsWritten && (id == 10 || id == 11 || id == 12)) {
        emit(out, 9, elementSection(instance, null, tableTypes));
        elementsWritten = true;
      }
      switch (id) {
        case 4 -> emit(out, 4, WasmBinary.tableSection(s.payload(), tableSizes, tableTypes));
        case 5 -> emit(out, 5, WasmBinary.memorySection(s.payload(), pages));
        case 6 -> emit(out, 6, globalSection(instance, s.payload(), importedGlobals));
        case 7 -> emit(out, 7, WasmBinary.exportSection(s.payload(), removeExports));
        case 8 -> {}
        case 9 -> {
          emit(out, 9, elementSection(instance, s.payload(), tableTypes));
          elementsWritten = true;
        }
        case 11 -> {
          emit(out, 11, dataSection(instance, parsed, s.payload(), runs));
          dataWritten = true;
        }
        case 12 -> {
          int count = parsed.dataSection().dataSegments().length + runs.size();
          emit(out, 12, WasmBinary.u32(count));
        }
        default -> {
          emit(out, id, s.payload());
          if (id == 10 && !dataWritten && !hasData) {
            emit(out, 11, dataSection(instance, parsed, null, runs));
            dataWritten = true;
          }
        }
      }
    }
    if (!elementsWritten) {
      emit(out, 9, elementSection(instance, null, tableTypes));
    }
    if (!dataWritten) {
      emit(out, 11, dataSection(instance, parsed, null, runs));
    }
    return out.toByteArray();
  }

  private static void emit(ByteArrayOutputStream out, int id, byte[] payload) {
    out.writeBytes(section(id, payload));
  }

  private static byte[] section(int id, byte[] payload) {
    var out = new ByteArrayOutputStream();
    out.write(id);
    out.writeBytes(WasmBinary.u32(payload.length));
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /** Mutable globals get their captured values; immutable ones keep their initialisers. */
  private static byte[] globalSection(Instance instance, byte[] payload, int importedGlobals) {
    return WasmBinary.globalSection(
        payload,
        (i, type) -> {
          GlobalInstance g = instance.global(importedGlobals + i);
          return constant(instance, g, type, "global " + (importedGlobals + i));
        });
  }

  private static byte[] constant(
      Instance instance, GlobalInstance g, WasmBinary.ValueType type, String what) {
    ValType t = g.getType();
    long low = g.getValueLow();
    if (t.isReference()) {
      if (low == Value.REF_NULL_VALUE) {
        return WasmBinary.refNull(type.heapType());
      }
      boolean own = g.getInstance() == null || g.getInstance() == instance;
      if (!type.isFunction() || !own) {
        throw refused(what + " holds a reference that is not a function of the module");
      }
      return WasmBinary.refFunc((int) low);
    }
    return switch (type.code()) {
      case 0x7F -> WasmBinary.i32Const((int) low);
      case 0x7E -> WasmBinary.i64Const(low);
      case 0x7D -> WasmBinary.f32Const((int) low);
      case 0x7C -> WasmBinary.f64Const(low);
      case 0x7B -> WasmBinary.v128Const(low, g.getValueHigh());
      default -> throw refused(what + " has a type the writer cannot express: " + t);
    };
  }

  /** The module's segments (dropped passive ones emptied) plus one per table with its entries. */
  private static byte[] elementSection(Instance instance, byte[] payload, byte[][] tableTypes) {
    boolean[] dropped = new boolean[instance.elementCount()];
    for (int i = 0; i < dropped.length; i++) {
      dropped[i] = instance.element(i) == null;
    }
    var restore = new ArrayList<byte[]>();
    for (int t = 0; t < tableTypes.length; t++) {
      TableInstance table = instance.table(t);
      var type = WasmBinary.ValueType.of(tableTypes[t]);
      if (table.size() == 0) {
        continue;
      }
      byte[][] entries = new byte[table.size()][];
      for (int j = 0; j < entries.length; j++) {
        int ref = table.ref(j);
        if (ref == Value.REF_NULL_VALUE) {
          entries[j] = WasmBinary.refNull(type.heapType());
        } else if (!type.isFunction()
            || (table.instance(j) != null && table.instance(j) != instance)) {
          throw refused("table " + t + " entry " + j + " holds a reference that is not a function");
        } else {
          entries[j] = WasmBinary.refFunc(ref);
        }
      }
      restore.add(WasmBinary.activeElements(t, tableTypes[t], entries));
    }
    return WasmBinary.elementSection(payload, dropped, restore);
  }

  private static byte[] dataSection(
      Instance instance, WasmModule parsed, byte[] payload, List<long[]> runs) {
    var segments = parsed.dataSection().dataSegments();
    boolean[] dropped = new boolean[segments.length];
    for (int i = 0; i < segments.length; i++) {
      dropped[i] =
          segments[i] instanceof PassiveDataSegment
              && SnapshotState.isDataDropped(instance, segments, i);
    }
    var appended = new ArrayList<byte[]>();
    for (long[] run : runs) {
      int memory = (int) run[0];
      byte[] data = instance.memory(memory).readBytes((int) run[1], (int) run[2]);
      appended.add(WasmBinary.activeData(memory, run[1], data));
    }
    return WasmBinary.dataSection(payload, dropped, appended);
  }

  /** The non-zero runs of every memory, as {memory, offset, length}. */
  private static List<long[]> runs(Instance instance, WasmModule parsed) {
    int memories = parsed.memorySection().map(s -> s.memoryCount()).orElse(0);
    var all = new ArrayList<long[]>();
    for (int m = 0; m < memories; m++) {
      Memory memory = instance.memory(m);
      long size = (long) memory.pages() * Memory.PAGE_SIZE;
      List<long[]> runs = null;
      for (long gap = GAP; runs == null || runs.size() > MAX_SEGMENTS; gap *= 4) {
        runs = runs(memory, m, size, gap);
      }
      all.addAll(runs);
    }
    return all;
  }

  private static List<long[]> runs(Memory memory, int m, long size, long gap) {
    var runs = new ArrayList<long[]>();
    long start = -1;
    long lastNonZero = -1;
    for (long base = 0; base < size; base += CHUNK) {
      int length = (int) Math.min(CHUNK, size - base);
      byte[] chunk = memory.readBytes((int) base, length);
      for (int i = 0; i < length; i++) {
        if (chunk[i] != 0) {
          long at = base + i;
          if (start >= 0 && at - lastNonZero > gap) {
            runs.add(new long[] {m, start, lastNonZero + 1 - start});
            start = -1;
          }
          if (start < 0) {
            start = at;
          }
          lastNonZero = at;
        }
      }
    }
    if (start >= 0) {
      runs.add(new long[] {m, start, lastNonZero + 1 - start});
    }
    return runs;
  }

  static UnsupportedOperationException refused(String why) {
    return new UnsupportedOperationException("cannot write the snapshot as a module: " + why);
  }
}
