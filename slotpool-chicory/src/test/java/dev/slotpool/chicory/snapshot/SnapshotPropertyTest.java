package dev.slotpool.chicory.snapshot;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.SnapshotWriter;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import dev.slotpool.testkit.wasm.WasmBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Seeded random modules from {@link WasmBuilder} (active and passive data and element segments,
 * tables with and without a maximum, mutable globals, and inits and requests that store, grow
 * memory and tables, set globals and table entries, copy from segments and drop them): every
 * instance started from a snapshot, and every pooled instance of the module after the same init,
 * must equal plain Chicory after the init, before and after each request; so must the module {@link
 * SnapshotWriter} writes. A failure names the seed and the module's operations.
 */
class SnapshotPropertyTest {
  private static final int SEEDS = 60;
  private static final int REQUESTS = 3;
  private static final int MAX_PAGES = 4;
  private static final byte[] NONE = {};
  private static final byte[] I32 = {0x7F};

  /** One operation of an init or a request; each leaves the operand stack as it found it. */
  sealed interface Op {
    void emit(WasmBuilder.Code code);
  }

  record Store(int address, int value) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(address).i32Const(value).memOp(0x36, 0);
    }
  }

  record MemoryGrow(int pages) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(pages).memoryGrow().drop();
    }
  }

  record GlobalSet(int global, int value) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(value).globalSet(global);
    }
  }

  /** Grows table {@code table} by {@code n} entries of function {@code function} (-1: null). */
  record TableGrow(int table, int function, int n) implements Op {
    public void emit(WasmBuilder.Code c) {
      ref(c, function).i32Const(n).tableGrow(table).drop();
    }
  }

  record TableSet(int table, int index, int function) implements Op {
    public void emit(WasmBuilder.Code c) {
      ref(c.i32Const(index), function).tableSet(table);
    }
  }

  record MemoryInit(int segment, int dst, int src, int length) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(dst).i32Const(src).i32Const(length).memoryInit(segment);
    }
  }

  record DataDrop(int segment) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.dataDrop(segment);
    }
  }

  record TableInit(int segment, int table, int dst, int src, int length) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(dst).i32Const(src).i32Const(length).tableInit(segment, table);
    }
  }

  record ElemDrop(int segment) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.elemDrop(segment);
    }
  }

  private static WasmBuilder.Code ref(WasmBuilder.Code c, int function) {
    return function < 0 ? c.refNullFunc() : c.refFunc(function);
  }

  /**
   * A random module. {@code passiveData} and {@code passiveElements} are the segment indices that
   * operations may name (active ones are left alone: the spec drops them at instantiation, Chicory
   * does not).
   */
  record Case(
      long seed,
      byte[] bytes,
      String shape,
      List<Op> init,
      List<List<Op>> requests,
      int globals,
      int tables,
      int[] passiveData,
      int[] passiveElements) {
    @Override
    public String toString() {
      return "seed " + seed + " (" + shape + "; init " + init + "; requests " + requests + ")";
    }

    static Case random(long seed) {
      var r = new SplittableRandom(seed);
      var b = new WasmBuilder();
      var shape = new StringBuilder();
      int functions = 3;
      int minPages = 1 + r.nextInt(2);
      int maxPages = minPages + r.nextInt(MAX_PAGES - minPages + 1);
      b.memory(minPages, maxPages);
      shape.append("memory ").append(minPages).append("..").append(maxPages);
      int tables = r.nextInt(3);
      int[] tableMin = new int[tables];
      for (int t = 0; t < tables; t++) {
        tableMin[t] = r.nextInt(5);
        int max = r.nextBoolean() ? -1 : tableMin[t] + r.nextInt(7);
        b.table(tableMin[t], max);
        shape.append(", table ").append(tableMin[t]).append("..").append(max);
      }
      int globals = 1 + r.nextInt(3);
      for (int g = 0; g < globals; g++) {
        int value = r.nextInt(1000);
        b.globalI32(true, value);
        shape.append(", global ").append(value);
      }
      for (int i = r.nextInt(3); i > 0; i--) {
        byte[] bytes = bytes(r);
        int offset = r.nextInt(minPages * Memory.PAGE_SIZE - bytes.length);
        b.activeData(0, offset, bytes);
        shape.append(", active data ").append(bytes.length).append("@").append(offset);
      }
      var passiveData = new ArrayList<Integer>();
      for (int i = 1 + r.nextInt(3); i > 0; i--) {
        byte[] bytes = bytes(r);
        passiveData.add(b.passiveData(bytes));
        shape.append(", passive data ").append(bytes.length);
      }
      for (int t = 0; t < tables; t++) {
        if (tableMin[t] > 0 && r.nextBoolean()) {
          int offset = r.nextInt(tableMin[t]);
          int[] fs = functionList(r, 1 + r.nextInt(tableMin[t] - offset), functions);
          b.activeElements(t, offset, fs);
          shape.append(", active elements t").append(t).append("@").append(offset);
          shape.append(Arrays.toString(fs));
        }
      }
      var passiveElements = new ArrayList<Integer>();
      for (int i = r.nextInt(3); i > 0; i--) {
        int[] fs = functionList(r, 1 + r.nextInt(3), functions);
        passiveElements.add(b.passiveElements(fs));
        shape.append(", passive elements ").append(Arrays.toString(fs));
      }
      var c =
          new Case(
              seed,
              null,
              shape.toString(),
              ops(
                  r,
                  1 + r.nextInt(8),
                  20,
                  globals,
                  minPages,
                  tableMin,
                  passiveData,
                  passiveElements),
              new ArrayList<>(),
              globals,
              tables,
              passiveData.stream().mapToInt(Integer::intValue).toArray(),
              passiveElements.stream().mapToInt(Integer::intValue).toArray());
      for (int k = 0; k < REQUESTS; k++) {
        c.requests()
            .add(
                ops(r, r.nextInt(6), 4, globals, minPages, tableMin, passiveData, passiveElements));
      }
      for (int f = 0; f < functions; f++) {
        b.function("f" + f, NONE, I32, new WasmBuilder.Code().i32Const(100 + f));
      }
      b.function("init", NONE, NONE, code(c.init()));
      for (int k = 0; k < REQUESTS; k++) {
        WasmBuilder.Code body = code(c.requests().get(k)).memorySize();
        for (int t = 0; t < tables; t++) {
          body.tableSize(t).i32Add();
        }
        b.function("request" + k, NONE, I32, body.globalGet(0).i32Add());
      }
      return new Case(
          seed,
          b.build(),
          c.shape(),
          c.init(),
          c.requests(),
          globals,
          tables,
          c.passiveData(),
          c.passiveElements());
    }

    private static WasmBuilder.Code code(List<Op> ops) {
      var code = new WasmBuilder.Code();
      for (Op op : ops) {
        op.emit(code);
      }
      return code;
    }

    private static byte[] bytes(SplittableRandom r) {
      byte[] bytes = new byte[1 + r.nextInt(16)];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) (1 + r.nextInt(255));
      }
      return bytes;
    }

    private static int[] functionList(SplittableRandom r, int n, int functions) {
      int[] fs = new int[n];
      for (int i = 0; i < n; i++) {
        fs[i] = r.nextInt(functions);
      }
      return fs;
    }

    /**
     * {@code n} operations, in bounds of the declared sizes except one in {@code wildOneIn} (past
     * them, or past where a grow may have taken them), so that traps are compared too.
     */
    private static List<Op> ops(
        SplittableRandom r,
        int n,
        int wildOneIn,
        int globals,
        int minPages,
        int[] tableMin,
        List<Integer> passiveData,
        List<Integer> passiveElements) {
      var ops = new ArrayList<Op>();
      int tables = tableMin.length;
      for (int i = 0; i < n; i++) {
        boolean wild = r.nextInt(wildOneIn) == 0;
        int reach = wild ? (minPages + 3) * Memory.PAGE_SIZE : minPages * Memory.PAGE_SIZE - 16;
        int t = tables == 0 ? -1 : r.nextInt(tables);
        int entries = t < 0 ? 0 : wild ? tableMin[t] + 4 : tableMin[t];
        ops.add(
            switch (r.nextInt(9)) {
              case 0, 1 -> new Store(r.nextInt(reach), 1 + r.nextInt(1 << 20));
              case 2 -> new MemoryGrow(r.nextInt(3));
              case 3 -> new GlobalSet(r.nextInt(globals), r.nextInt(1000));
              case 4 ->
                  t < 0
                      ? new Store(r.nextInt(64), 7)
                      : new TableGrow(t, r.nextInt(4) - 1, r.nextInt(5));
              case 5 ->
                  entries == 0
                      ? new GlobalSet(0, 3)
                      : new TableSet(t, r.nextInt(entries), r.nextInt(4) - 1);
              case 6 ->
                  r.nextInt(4) == 0
                      ? new DataDrop(pick(r, passiveData))
                      : new MemoryInit(
                          pick(r, passiveData),
                          r.nextInt(reach),
                          wild ? r.nextInt(4) : 0,
                          wild ? r.nextInt(20) : 1);
              default ->
                  passiveElements.isEmpty() || t < 0
                      ? new MemoryGrow(0)
                      : r.nextInt(4) == 0
                          ? new ElemDrop(pick(r, passiveElements))
                          : new TableInit(
                              pick(r, passiveElements),
                              t,
                              entries == 0 ? 0 : r.nextInt(entries),
                              0,
                              entries == 0 ? 0 : 1);
            });
      }
      return ops;
    }

    private static int pick(SplittableRandom r, List<Integer> from) {
      return from.get(r.nextInt(from.size()));
    }
  }

  /** What a guest can observe of an instance, as a comparable list. */
  private static List<Object> state(Instance instance, Case c, boolean segments) {
    var seen = new ArrayList<Object>();
    Memory memory = instance.memory();
    seen.add("pages " + memory.pages());
    seen.add("bytes#" + Arrays.hashCode(memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE)));
    for (int g = 0; g < c.globals(); g++) {
      seen.add("global " + g + " = " + instance.global(g).getValueLow());
    }
    for (int t = 0; t < c.tables(); t++) {
      TableInstance table = instance.table(t);
      int[] refs = new int[table.size()];
      for (int j = 0; j < refs.length; j++) {
        refs[j] = table.ref(j);
      }
      seen.add("table " + t + " = " + Arrays.toString(refs));
    }
    if (segments) {
      for (int i : c.passiveData()) {
        seen.add("data " + i + (instance.dataSegmentData(i).length == 0 ? " dropped" : " kept"));
      }
      for (int i : c.passiveElements()) {
        seen.add("elements " + i + (instance.element(i) == null ? " dropped" : " kept"));
      }
    }
    return seen;
  }

  /** The call's result, or the name of what it threw (a trap). */
  private static String call(Instance instance, String export) {
    try {
      return String.valueOf(instance.export(export).apply()[0]);
    } catch (RuntimeException e) {
      return "trap " + e.getClass().getSimpleName();
    }
  }

  private static Instance plainAfterInit(byte[] bytes) {
    Instance plain = Instance.builder(Parser.parse(bytes)).build(); // a fresh parse: no sharing
    plain.export("init").apply();
    return plain;
  }

  private static void check(Case c, String what, Object expected, Object actual) {
    if (!Objects.equals(expected, actual)) {
      throw new AssertionError(
          "failing case " + c + ": " + what + ": expected " + expected + " but was " + actual);
    }
  }

  /** Plain Chicory and {@code pooled} agree before, on and after each request. */
  private static void compareRequests(
      Case c, String path, Supplier<Instance> pooled, boolean segments) {
    for (int round = 0; round < 2; round++) {
      for (int k = 0; k < REQUESTS; k++) {
        String at = path + ", round " + round + ", request " + k;
        Instance plain = plainAfterInit(c.bytes());
        Instance other = pooled.get();
        check(c, at + ", state at start", state(plain, c, segments), state(other, c, segments));
        check(c, at + ", result", call(plain, "request" + k), call(other, "request" + k));
        check(c, at + ", state after", state(plain, c, segments), state(other, c, segments));
      }
    }
  }

  @Test
  void randomModules_instancesFromASnapshot_equalPlainChicoryAfterTheSameInit() {
    int compared = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      Case c = Case.random(seed);
      String initOutcome;
      try {
        plainAfterInit(c.bytes());
        initOutcome = "ok";
      } catch (RuntimeException e) {
        initOutcome = "trap " + e.getClass().getSimpleName();
      }
      WasmModule module = Parser.parse(c.bytes());
      try (var pool =
          WasmInstancePool.builder()
              .slots(4)
              .maxMemoryBytes(MAX_PAGES * Memory.PAGE_SIZE)
              .build()) {
        WasmSnapshot snapshot;
        try {
          snapshot = pool.snapshot(module, i -> i.export("init").apply());
        } catch (RuntimeException e) {
          check(c, "init outcome", initOutcome, "trap " + e.getClass().getSimpleName());
          continue;
        }
        check(c, "init outcome", initOutcome, "ok");
        List<PooledInstance> open = new ArrayList<>();
        try {
          compareRequests(
              c,
              "instantiate(snapshot)",
              () -> {
                closeAll(open);
                open.add(pool.instantiate(snapshot));
                return open.get(0).instance();
              },
              true);
          compareRequests(
              c,
              "instantiate(module) + init",
              () -> {
                closeAll(open);
                open.add(pool.instantiate(module));
                open.get(0).instance().export("init").apply();
                return open.get(0).instance();
              },
              true);
        } finally {
          closeAll(open);
        }
        byte[] written = SnapshotWriter.toBytes(snapshot, c.bytes(), "init");
        compareRequests(
            c, "written module", () -> Instance.builder(Parser.parse(written)).build(), false);
        snapshot.close();
        compared++;
      }
    }
    if (compared < SEEDS / 2) {
      throw new AssertionError("only " + compared + " of " + SEEDS + " inits did not trap");
    }
  }

  private static void closeAll(List<PooledInstance> open) {
    for (PooledInstance p : open) {
      p.close();
    }
    open.clear();
  }
}
