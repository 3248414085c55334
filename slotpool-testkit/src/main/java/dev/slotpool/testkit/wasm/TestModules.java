package dev.slotpool.testkit.wasm;

import static dev.slotpool.testkit.wasm.WasmBuilder.F32;
import static dev.slotpool.testkit.wasm.WasmBuilder.F64;
import static dev.slotpool.testkit.wasm.WasmBuilder.I32;
import static dev.slotpool.testkit.wasm.WasmBuilder.I64;

import dev.slotpool.testkit.wasm.WasmBuilder.Code;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The modules slotpool's tests and benchmarks run, as WebAssembly binaries: no runtime is needed to
 * write them, so the same bytes serve every runtime's tests (parse them with the runtime's own
 * {@code Parser.parse(byte[])}).
 *
 * <p>Thread-safe: every method builds a fresh array.
 */
public final class TestModules {
  private TestModules() {}

  /** A load export: its name, opcode and result type. */
  public record Load(String name, int opcode, byte type, int width) {}

  /** A store export: its name, opcode, value type and how many bytes it writes. */
  public record Store(String name, int opcode, byte type, int width) {}

  public static final List<Load> LOADS =
      List.of(
          new Load("i32.load", 0x28, I32, 4),
          new Load("i64.load", 0x29, I64, 8),
          new Load("f32.load", 0x2A, F32, 4),
          new Load("f64.load", 0x2B, F64, 8),
          new Load("i32.load8_s", 0x2C, I32, 1),
          new Load("i32.load8_u", 0x2D, I32, 1),
          new Load("i32.load16_s", 0x2E, I32, 2),
          new Load("i32.load16_u", 0x2F, I32, 2),
          new Load("i64.load8_s", 0x30, I64, 1),
          new Load("i64.load8_u", 0x31, I64, 1),
          new Load("i64.load16_s", 0x32, I64, 2),
          new Load("i64.load16_u", 0x33, I64, 2),
          new Load("i64.load32_s", 0x34, I64, 4),
          new Load("i64.load32_u", 0x35, I64, 4));

  public static final List<Store> STORES =
      List.of(
          new Store("i32.store", 0x36, I32, 4),
          new Store("i64.store", 0x37, I64, 8),
          new Store("f32.store", 0x38, F32, 4),
          new Store("f64.store", 0x39, F64, 8),
          new Store("i32.store8", 0x3A, I32, 1),
          new Store("i32.store16", 0x3B, I32, 2),
          new Store("i64.store8", 0x3C, I64, 1),
          new Store("i64.store16", 0x3D, I64, 2),
          new Store("i64.store32", 0x3E, I64, 4));

  /** Memarg offsets every load and store is exported with: {@code <op>@<offset>}. */
  public static final List<Long> OFFSETS = List.of(0L, 3L, 65_535L, 0x7FFF_FFF0L);

  /** The passive segments of {@link #memops}: {@code init0}/{@code drop0} and so on. */
  public static final List<byte[]> PASSIVE =
      List.of(bytes("passive segment zero"), bytes("the second passive segment, a bit longer"));

  /**
   * A module exercising every memory instruction on memory 0 of {@code minPages} to {@code
   * maxPages} pages (-1: no maximum), with active segments at 0, across the first page boundary,
   * and at the end of the initial memory; if {@code globalSegment}, one more placed by the imported
   * global {@code env.offset}.
   */
  public static byte[] memops(int minPages, int maxPages, boolean globalSegment) {
    var b = new WasmBuilder();
    int global = globalSegment ? b.importGlobalI32("env", "offset") : -1;
    b.memory(minPages, maxPages).exportMemory("memory");
    for (Load load : LOADS) {
      for (long offset : OFFSETS) {
        b.function(
            load.name() + "@" + offset,
            new byte[] {I32},
            new byte[] {load.type()},
            new Code().localGet(0).memOp(load.opcode(), offset));
      }
    }
    for (Store store : STORES) {
      for (long offset : OFFSETS) {
        b.function(
            store.name() + "@" + offset,
            new byte[] {I32, store.type()},
            new byte[0],
            new Code().localGet(0).localGet(1).memOp(store.opcode(), offset));
      }
    }
    b.function("size", new byte[0], new byte[] {I32}, new Code().memorySize());
    b.function("grow", new byte[] {I32}, new byte[] {I32}, new Code().localGet(0).memoryGrow());
    byte[] three = {I32, I32, I32};
    b.function(
        "fill", three, new byte[0], new Code().localGet(0).localGet(1).localGet(2).memoryFill());
    b.function(
        "copy", three, new byte[0], new Code().localGet(0).localGet(1).localGet(2).memoryCopy());
    List<Integer> passive = new ArrayList<>();
    if (minPages > 0) {
      b.activeData(0, 0, bytes("hello, pooled world"));
      b.activeData(0, 65_530, bytes("across the page boundary"));
      b.activeData(0, minPages * 65_536 - 7, bytes("the end"));
      b.activeData(0, 4, bytes("overwritten")); // later segments win where they overlap
    }
    for (byte[] p : PASSIVE) {
      passive.add(b.passiveData(p));
    }
    if (global >= 0) {
      b.activeDataAtGlobal(global, bytes("placed by a global"));
      if (minPages > 0) {
        b.activeData(0, 100, bytes("constant after the global one"));
      }
    }
    for (int i = 0; i < passive.size(); i++) {
      int segment = passive.get(i);
      b.function(
          "init" + i,
          three,
          new byte[0],
          new Code().localGet(0).localGet(1).localGet(2).memoryInit(segment));
      b.function("drop" + i, new byte[0], new byte[0], new Code().dataDrop(segment));
    }
    return b.build();
  }

  /**
   * A module with one memory of {@code pages} pages holding {@code data} at {@code offset}, and an
   * export {@code run} that returns the byte at its argument (i32.load8_u).
   */
  public static byte[] dataModule(int pages, int offset, byte[] data) {
    var b = new WasmBuilder();
    b.memory(pages, -1).exportMemory("memory");
    b.function("run", new byte[] {I32}, new byte[] {I32}, new Code().localGet(0).memOp(0x2D, 0));
    b.activeData(0, offset, data);
    return b.build();
  }

  /**
   * The service example's module: one page holding {@code greeting} at 0, and {@code sum(ptr, len)}
   * adding up the bytes of {@code [ptr, ptr + len)}.
   */
  public static byte[] checksumModule(String greeting) {
    var b = new WasmBuilder();
    b.memory(1, 2).exportMemory("memory");
    var sum =
        new Code()
            .block()
            .loop()
            .localGet(1)
            .i32Eqz()
            .brIf(1)
            .localGet(2)
            .localGet(0)
            .memOp(0x2D, 0)
            .i32Add()
            .localSet(2)
            .localGet(0)
            .i32Const(1)
            .i32Add()
            .localSet(0)
            .localGet(1)
            .i32Const(1)
            .i32Sub()
            .localSet(1)
            .br(0)
            .endBlock()
            .endBlock()
            .localGet(2);
    b.function("sum", new byte[] {I32, I32}, new byte[] {I32}, 1, sum);
    b.activeData(0, 0, bytes(greeting));
    return b.build();
  }

  /** A module with no memory: {@code add(a, b)}. */
  public static byte[] noMemoryModule() {
    var b = new WasmBuilder();
    b.function(
        "add",
        new byte[] {I32, I32},
        new byte[] {I32},
        new Code().localGet(0).localGet(1).i32Add());
    return b.build();
  }

  /**
   * A module whose memory (the data plus one page, no maximum) holds {@code dataBytes} of non-zero
   * data at offset 0 ({@code 1 + i % 251} at byte {@code i}), exporting {@code run(addr)}, the byte
   * at {@code addr} (i32.load8_u): the instantiation benchmarks' module.
   */
  public static byte[] dataSegmentModule(int dataBytes) {
    if (dataBytes < 0) {
      throw new IllegalArgumentException("dataBytes: " + dataBytes + " (expected: >= 0)");
    }
    byte[] data = new byte[dataBytes];
    for (int i = 0; i < dataBytes; i++) {
      data[i] = (byte) (1 + i % 251);
    }
    return dataModule(dataBytes / 65_536 + 1, 0, data);
  }

  /**
   * A module with no memory exporting {@code run(x) -> x}: a runtime's own setup and call alone.
   */
  public static byte[] identityModule() {
    var b = new WasmBuilder();
    b.function("run", new byte[] {I32}, new byte[] {I32}, new Code().localGet(0));
    return b.build();
  }

  /**
   * A module with one memory of one page holding "hello" at 0, exporting {@code add(a, b)} and
   * {@code load(addr)} (i32.load8_u): the command-line tests' module.
   */
  public static byte[] addLoadModule() {
    var b = new WasmBuilder();
    b.memory(1, -1);
    b.function(
        "add",
        new byte[] {I32, I32},
        new byte[] {I32},
        new Code().localGet(0).localGet(1).i32Add());
    b.function("load", new byte[] {I32}, new byte[] {I32}, new Code().localGet(0).memOp(0x2D, 0));
    b.activeData(0, 0, bytes("hello"));
    return b.build();
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
