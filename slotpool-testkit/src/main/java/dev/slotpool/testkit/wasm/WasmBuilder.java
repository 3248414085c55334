package dev.slotpool.testkit.wasm;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes WebAssembly binary modules for tests: types, imported functions and globals, funcref
 * tables, memories, globals, functions, exports, active and passive data and element segments. Only
 * what the tests need; every section is written in the order the binary format requires. Each
 * function is exported under its name and gets its own type. Test-only: no validation beyond what
 * the binary format's encoding needs.
 *
 * <p>Not thread-safe.
 */
public final class WasmBuilder {
  public static final byte I32 = 0x7F;
  public static final byte I64 = 0x7E;
  public static final byte F32 = 0x7D;
  public static final byte F64 = 0x7C;

  private final List<byte[]> types = new ArrayList<>();
  private final List<byte[]> imports = new ArrayList<>();
  private final List<byte[]> tables = new ArrayList<>();
  private final List<byte[]> memories = new ArrayList<>();
  private final List<byte[]> globals = new ArrayList<>();
  private final List<byte[]> elements = new ArrayList<>();
  private final List<Integer> functionTypes = new ArrayList<>();
  private final List<byte[]> bodies = new ArrayList<>();
  private final List<byte[]> exports = new ArrayList<>();
  private final List<byte[]> data = new ArrayList<>();
  private int importedGlobals;
  private int importedFunctions;
  private boolean needsDataCount;
  private int start = -1;

  /** Imports an immutable i32 global {@code module.name}; returns its global index. */
  public int importGlobalI32(String module, String name) {
    var out = new Bytes().name(module).name(name).u8(0x03).u8(I32).u8(0x00);
    imports.add(out.toByteArray());
    return importedGlobals++;
  }

  /**
   * Imports function {@code module.name} of the given type; returns its function index. Call it
   * before adding functions: imported functions come first in the function index space.
   */
  public int importFunction(String module, String name, byte[] params, byte[] results) {
    if (!functionTypes.isEmpty()) {
      throw new IllegalStateException("import " + module + "." + name + " before any function");
    }
    types.add(functionType(params, results));
    var out = new Bytes().name(module).name(name).u8(0x00).u32(types.size() - 1);
    imports.add(out.toByteArray());
    return importedFunctions++;
  }

  /** Declares a memory with a minimum and a maximum in pages ({@code -1}: no maximum). */
  public WasmBuilder memory(int minPages, int maxPages) {
    var out = new Bytes();
    if (maxPages < 0) {
      out.u8(0x00).u32(minPages);
    } else {
      out.u8(0x01).u32(minPages).u32(maxPages);
    }
    memories.add(out.toByteArray());
    return this;
  }

  /**
   * Declares a funcref table with a minimum and a maximum ({@code -1}: none); returns its index.
   */
  public int table(int min, int max) {
    var out = new Bytes().u8(0x70);
    if (max < 0) {
      out.u8(0x00).u32(min);
    } else {
      out.u8(0x01).u32(min).u32(max);
    }
    tables.add(out.toByteArray());
    return tables.size() - 1;
  }

  /** Declares an i32 global with a constant initial value; returns its index. */
  public int globalI32(boolean mutable, int value) {
    globals.add(new Bytes().u8(I32).u8(mutable ? 1 : 0).u8(0x41).s32(value).u8(0x0B).toByteArray());
    return importedGlobals + globals.size() - 1;
  }

  /**
   * Declares a global of {@code type} ({@link #I32}, {@link #I64}, {@link #F32} or {@link #F64})
   * whose initial value has the bits {@code bits} (the low 32 for I32 and F32); returns its index.
   */
  public int global(byte type, boolean mutable, long bits) {
    var out = new Bytes().u8(type).u8(mutable ? 1 : 0);
    switch (type) {
      case I32 -> out.u8(0x41).s64((int) bits);
      case I64 -> out.u8(0x42).s64(bits);
      case F32 -> out.u8(0x43).littleEndian(bits, 4);
      case F64 -> out.u8(0x44).littleEndian(bits, 8);
      default -> throw new IllegalArgumentException("not a number type: " + type);
    }
    globals.add(out.u8(0x0B).toByteArray());
    return importedGlobals + globals.size() - 1;
  }

  /**
   * Adds an active element segment writing functions {@code functions} into table {@code table}
   * from a constant offset; returns its index.
   */
  public int activeElements(int table, int offset, int... functions) {
    var out = new Bytes();
    if (table == 0) {
      out.u8(0x00).u8(0x41).s32(offset).u8(0x0B);
    } else {
      out.u8(0x02).u32(table).u8(0x41).s32(offset).u8(0x0B).u8(0x00);
    }
    elements.add(functionVector(out, functions).toByteArray());
    return elements.size() - 1;
  }

  /** Adds a passive element segment of functions {@code functions}; returns its index. */
  public int passiveElements(int... functions) {
    elements.add(functionVector(new Bytes().u8(0x01).u8(0x00), functions).toByteArray());
    return elements.size() - 1;
  }

  private static Bytes functionVector(Bytes out, int[] functions) {
    out.u32(functions.length);
    for (int f : functions) {
      out.u32(f);
    }
    return out;
  }

  /** The number of functions added so far: the index the next one gets. */
  public int functionCount() {
    return importedFunctions + functionTypes.size();
  }

  /** Exports memory 0 under {@code name}. */
  public WasmBuilder exportMemory(String name) {
    exports.add(new Bytes().name(name).u8(0x02).u32(0).toByteArray());
    return this;
  }

  /** Adds an exported function; {@code body} holds its instructions without the final end. */
  public WasmBuilder function(String exportName, byte[] params, byte[] results, Code body) {
    return function(exportName, params, results, 0, body);
  }

  /** As above, with {@code i32Locals} extra i32 locals after the parameters. */
  public WasmBuilder function(
      String exportName, byte[] params, byte[] results, int i32Locals, Code body) {
    types.add(functionType(params, results));
    functionTypes.add(types.size() - 1);
    byte[] code = body.end().toByteArray();
    byte[] locals =
        i32Locals == 0
            ? new byte[] {0x00}
            : new Bytes().u32(1).u32(i32Locals).u8(I32).toByteArray();
    bodies.add(
        new Bytes().u32(code.length + locals.length).bytes(locals).bytes(code).toByteArray());
    int index = importedFunctions + functionTypes.size() - 1;
    exports.add(new Bytes().name(exportName).u8(0x00).u32(index).toByteArray());
    if (body.usesDataCount) {
      needsDataCount = true;
    }
    return this;
  }

  private static byte[] functionType(byte[] params, byte[] results) {
    var type = new Bytes().u8(0x60).u32(params.length);
    for (byte p : params) {
      type.u8(p);
    }
    type.u32(results.length);
    for (byte r : results) {
      type.u8(r);
    }
    return type.toByteArray();
  }

  /** Adds an active segment for memory {@code memory} at a constant offset; returns its index. */
  public int activeData(int memory, int offset, byte[] bytes) {
    var out = new Bytes();
    if (memory == 0) {
      out.u8(0x00);
    } else {
      out.u8(0x02).u32(memory);
    }
    out.u8(0x41).s32(offset).u8(0x0B).u32(bytes.length).bytes(bytes);
    data.add(out.toByteArray());
    return data.size() - 1;
  }

  /** Adds an active segment for memory 0 whose offset is the value of global {@code global}. */
  public int activeDataAtGlobal(int global, byte[] bytes) {
    var out = new Bytes().u8(0x00).u8(0x23).u32(global).u8(0x0B).u32(bytes.length).bytes(bytes);
    data.add(out.toByteArray());
    return data.size() - 1;
  }

  /** Makes the function added last the module's start function. */
  public WasmBuilder startWithLastFunction() {
    start = importedFunctions + functionTypes.size() - 1;
    return this;
  }

  /** Adds a passive segment; returns its index. */
  public int passiveData(byte[] bytes) {
    data.add(new Bytes().u8(0x01).u32(bytes.length).bytes(bytes).toByteArray());
    needsDataCount = true;
    return data.size() - 1;
  }

  public byte[] build() {
    var out = new Bytes().bytes(new byte[] {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00});
    section(out, 1, types);
    section(out, 2, imports);
    var funcs = new ArrayList<byte[]>();
    for (int t : functionTypes) {
      funcs.add(new Bytes().u32(t).toByteArray());
    }
    section(out, 3, funcs);
    section(out, 4, tables);
    section(out, 5, memories);
    section(out, 6, globals);
    section(out, 7, exports);
    if (start >= 0) {
      byte[] index = new Bytes().u32(start).toByteArray();
      out.u8(8).u32(index.length).bytes(index);
    }
    section(out, 9, elements);
    if (needsDataCount) {
      byte[] count = new Bytes().u32(data.size()).toByteArray();
      out.u8(12).u32(count.length).bytes(count);
    }
    section(out, 10, bodies);
    section(out, 11, data);
    return out.toByteArray();
  }

  private static void section(Bytes out, int id, List<byte[]> entries) {
    if (entries.isEmpty()) {
      return;
    }
    var body = new Bytes().u32(entries.size());
    for (byte[] e : entries) {
      body.bytes(e);
    }
    byte[] bytes = body.toByteArray();
    out.u8(id).u32(bytes.length).bytes(bytes);
  }

  /** The instructions of one function body. */
  public static final class Code {
    private final Bytes out = new Bytes();
    private boolean usesDataCount;

    public Code localGet(int index) {
      out.u8(0x20).u32(index);
      return this;
    }

    public Code localSet(int index) {
      out.u8(0x21).u32(index);
      return this;
    }

    /** {@code block} with no result. */
    public Code block() {
      out.u8(0x02).u8(0x40);
      return this;
    }

    /** {@code loop} with no result. */
    public Code loop() {
      out.u8(0x03).u8(0x40);
      return this;
    }

    public Code endBlock() {
      out.u8(0x0B);
      return this;
    }

    public Code br(int depth) {
      out.u8(0x0C).u32(depth);
      return this;
    }

    public Code brIf(int depth) {
      out.u8(0x0D).u32(depth);
      return this;
    }

    public Code unreachable() {
      out.u8(0x00);
      return this;
    }

    /** {@code call} of function {@code index} (functions are numbered in the order added). */
    public Code call(int index) {
      out.u8(0x10).u32(index);
      return this;
    }

    public Code i32Eqz() {
      out.u8(0x45);
      return this;
    }

    public Code i32Add() {
      out.u8(0x6A);
      return this;
    }

    public Code i32Sub() {
      out.u8(0x6B);
      return this;
    }

    public Code i32Const(int value) {
      out.u8(0x41).s32(value);
      return this;
    }

    public Code i64Const(long value) {
      out.u8(0x42).s64(value);
      return this;
    }

    /** {@code f32.const} of the float with bits {@code bits}. */
    public Code f32Const(int bits) {
      out.u8(0x43).littleEndian(bits, 4);
      return this;
    }

    /** {@code f64.const} of the double with bits {@code bits}. */
    public Code f64Const(long bits) {
      out.u8(0x44).littleEndian(bits, 8);
      return this;
    }

    /** A load or store opcode with its memarg (alignment exponent 0, so any address is legal). */
    public Code memOp(int opcode, long offset) {
      out.u8(opcode).u32(0).u32(offset);
      return this;
    }

    public Code memorySize() {
      out.u8(0x3F).u8(0x00);
      return this;
    }

    public Code memoryGrow() {
      out.u8(0x40).u8(0x00);
      return this;
    }

    public Code drop() {
      out.u8(0x1A);
      return this;
    }

    public Code globalGet(int global) {
      out.u8(0x23).u32(global);
      return this;
    }

    public Code globalSet(int global) {
      out.u8(0x24).u32(global);
      return this;
    }

    /** {@code ref.null func}. */
    public Code refNullFunc() {
      out.u8(0xD0).u8(0x70);
      return this;
    }

    public Code refFunc(int function) {
      out.u8(0xD2).u32(function);
      return this;
    }

    public Code tableGet(int table) {
      out.u8(0x25).u32(table);
      return this;
    }

    public Code tableSet(int table) {
      out.u8(0x26).u32(table);
      return this;
    }

    public Code tableInit(int segment, int table) {
      out.u8(0xFC).u32(12).u32(segment).u32(table);
      return this;
    }

    public Code elemDrop(int segment) {
      out.u8(0xFC).u32(13).u32(segment);
      return this;
    }

    public Code tableGrow(int table) {
      out.u8(0xFC).u32(15).u32(table);
      return this;
    }

    public Code tableSize(int table) {
      out.u8(0xFC).u32(16).u32(table);
      return this;
    }

    public Code tableFill(int table) {
      out.u8(0xFC).u32(17).u32(table);
      return this;
    }

    /** {@code table.copy} from table {@code source} into table {@code destination}. */
    public Code tableCopy(int destination, int source) {
      out.u8(0xFC).u32(14).u32(destination).u32(source);
      return this;
    }

    public Code memoryInit(int segment) {
      out.u8(0xFC).u32(8).u32(segment).u8(0x00);
      usesDataCount = true;
      return this;
    }

    public Code dataDrop(int segment) {
      out.u8(0xFC).u32(9).u32(segment);
      usesDataCount = true;
      return this;
    }

    public Code memoryCopy() {
      out.u8(0xFC).u32(10).u8(0x00).u8(0x00);
      return this;
    }

    public Code memoryFill() {
      out.u8(0xFC).u32(11).u8(0x00);
      return this;
    }

    Bytes end() {
      return out.u8(0x0B);
    }
  }

  static final class Bytes extends ByteArrayOutputStream {
    Bytes u8(int b) {
      write(b);
      return this;
    }

    Bytes u32(long value) {
      long v = value;
      do {
        int b = (int) (v & 0x7F);
        v >>>= 7;
        write(v != 0 ? b | 0x80 : b);
      } while (v != 0);
      return this;
    }

    Bytes s32(int value) {
      return s64(value);
    }

    Bytes s64(long value) {
      long v = value;
      while (true) {
        int b = (int) (v & 0x7F);
        v >>= 7;
        boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
        write(done ? b : b | 0x80);
        if (done) {
          return this;
        }
      }
    }

    Bytes littleEndian(long bits, int bytes) {
      for (int i = 0; i < bytes; i++) {
        write((int) (bits >>> (8 * i)) & 0xFF);
      }
      return this;
    }

    Bytes bytes(byte[] b) {
      writeBytes(b);
      return this;
    }

    Bytes name(String s) {
      byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      return u32(b.length).bytes(b);
    }
  }
}
