package dev.slotpool.chicory.prepared;

import static dev.slotpool.testkit.wasm.WasmBuilder.F32;
import static dev.slotpool.testkit.wasm.WasmBuilder.F64;
import static dev.slotpool.testkit.wasm.WasmBuilder.I32;
import static dev.slotpool.testkit.wasm.WasmBuilder.I64;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.RecycleStats;
import dev.slotpool.chicory.RecycleStats.Reason;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.testkit.wasm.WasmBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Seeded random modules (active and passive data and element segments, funcref tables with and
 * without a maximum, mutable globals of every number type, a memory with and without a maximum)
 * whose exports do their worst to an instance: store everywhere, grow the memory and tables, set
 * globals and table entries, fill and copy, copy from segments and drop them, and trap half-way.
 * One prepared module on a one-slot pool serves round after round of requests, so that every
 * instance after the first is the recycled one unless a documented reason says otherwise; each
 * round's instance must be indistinguishable from a fresh plain Chicory instance of the module: the
 * same memory, globals, tables and segments at the start, the same result or trap for every call,
 * and the same state after each. Some rounds are cancelled by a close while the guest spins; the
 * next instance is then built anew, and must equal a fresh one too. A failure names the seed and
 * the module's operations.
 */
class RecycleDifferentialTest {
  private static final int SEEDS = 60;
  private static final int REQUESTS = 4;
  private static final int ROUNDS = 6;
  private static final int FUNCTIONS = 3;
  private static final int POOL_PAGES = 128;
  private static final byte[] NONE = {};
  private static final byte[] RESULT = {I32};
  private static final byte[] NUMBER_TYPES = {I32, I64, F32, F64};

  /** One operation of a request; each leaves the operand stack as it found it. */
  sealed interface Op {
    void emit(WasmBuilder.Code code);
  }

  /** An i32 store ({@code wide}: i64) of {@code value} at {@code address}. */
  record Store(boolean wide, int address, long value) implements Op {
    public void emit(WasmBuilder.Code c) {
      if (wide) {
        c.i32Const(address).i64Const(value).memOp(0x37, 0);
      } else {
        c.i32Const(address).i32Const((int) value).memOp(0x36, 0);
      }
    }
  }

  record MemoryGrow(int pages) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(pages).memoryGrow().drop();
    }
  }

  record MemoryFill(int address, int value, int length) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(address).i32Const(value).i32Const(length).memoryFill();
    }
  }

  record MemoryCopy(int destination, int source, int length) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(destination).i32Const(source).i32Const(length).memoryCopy();
    }
  }

  /** Sets global {@code global}, of {@code type}, to the value with bits {@code bits}. */
  record GlobalSet(int global, byte type, long bits) implements Op {
    public void emit(WasmBuilder.Code c) {
      switch (type) {
        case I32 -> c.i32Const((int) bits);
        case I64 -> c.i64Const(bits);
        case F32 -> c.f32Const((int) bits);
        default -> c.f64Const(bits);
      }
      c.globalSet(global);
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

  record TableFill(int table, int index, int function, int n) implements Op {
    public void emit(WasmBuilder.Code c) {
      ref(c.i32Const(index), function).i32Const(n).tableFill(table);
    }
  }

  record TableCopy(int destination, int source, int to, int from, int n) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(to).i32Const(from).i32Const(n).tableCopy(destination, source);
    }
  }

  record MemoryInit(int segment, int destination, int source, int length) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(destination).i32Const(source).i32Const(length).memoryInit(segment);
    }
  }

  record DataDrop(int segment) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.dataDrop(segment);
    }
  }

  record TableInit(int segment, int table, int destination, int source, int length) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.i32Const(destination).i32Const(source).i32Const(length).tableInit(segment, table);
    }
  }

  record ElemDrop(int segment) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.elemDrop(segment);
    }
  }

  /** Calls export {@code request<k>} (function FUNCTIONS + k), whose traps unwind through this. */
  record CallRequest(int k) implements Op {
    public void emit(WasmBuilder.Code c) {
      c.call(FUNCTIONS + k).drop();
    }
  }

  record Unreachable() implements Op {
    public void emit(WasmBuilder.Code c) {
      c.unreachable();
    }
  }

  private static WasmBuilder.Code ref(WasmBuilder.Code c, int function) {
    return function < 0 ? c.refNullFunc() : c.refFunc(function);
  }

  /**
   * A random module: functions {@code f0..f2} (what tables hold), exports {@code request0..3} (the
   * requests' operations, returning the memory's and tables' sizes), and {@code spin} (writes, then
   * loops until cancelled).
   */
  record Case(
      long seed,
      byte[] bytes,
      String shape,
      List<List<Op>> requests,
      int dataSegments,
      int elementSegments,
      int spinAddress) {
    @Override
    public String toString() {
      return "seed " + seed + " (" + shape + "; requests " + requests + ")";
    }

    /** Every export but {@code spin}, in the module's order. */
    List<String> exports() {
      var exports = new ArrayList<String>();
      for (int f = 0; f < FUNCTIONS; f++) {
        exports.add("f" + f);
      }
      for (int k = 0; k < REQUESTS; k++) {
        exports.add("request" + k);
      }
      return exports;
    }

    static Case random(long seed) {
      var r = new SplittableRandom(seed);
      var b = new WasmBuilder();
      var shape = new StringBuilder();
      int minPages = 1 + r.nextInt(2);
      int maxPages = r.nextBoolean() ? -1 : minPages + r.nextInt(4);
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
      int globals = 1 + r.nextInt(4);
      byte[] globalTypes = new byte[globals + 1];
      for (int g = 0; g <= globals; g++) {
        globalTypes[g] = NUMBER_TYPES[r.nextInt(NUMBER_TYPES.length)];
        long bits = bits(r, globalTypes[g]);
        boolean mutable = g < globals; // the last one is immutable
        b.global(globalTypes[g], mutable, bits);
        shape.append(mutable ? ", global " : ", const ").append(typeName(globalTypes[g]));
        shape.append(" ").append(Long.toHexString(bits));
      }
      int dataSegments = 0;
      for (int i = r.nextInt(3); i > 0; i--, dataSegments++) {
        byte[] bytes = bytes(r);
        int offset = r.nextInt(minPages * Memory.PAGE_SIZE - bytes.length);
        b.activeData(0, offset, bytes);
        shape.append(", active data ").append(bytes.length).append("@").append(offset);
      }
      for (int i = 1 + r.nextInt(3); i > 0; i--, dataSegments++) {
        byte[] bytes = bytes(r);
        b.passiveData(bytes);
        shape.append(", passive data ").append(bytes.length);
      }
      int elementSegments = 0;
      for (int t = 0; t < tables; t++) {
        if (tableMin[t] > 0 && r.nextBoolean()) {
          int offset = r.nextInt(tableMin[t]);
          int[] fs = functionList(r, 1 + r.nextInt(tableMin[t] - offset));
          b.activeElements(t, offset, fs);
          elementSegments++;
          shape.append(", active elements t").append(t).append("@").append(offset);
          shape.append(Arrays.toString(fs));
        }
      }
      for (int i = r.nextInt(3); i > 0; i--, elementSegments++) {
        int[] fs = functionList(r, 1 + r.nextInt(3));
        b.passiveElements(fs);
        shape.append(", passive elements ").append(Arrays.toString(fs));
      }
      var ops = new Ops(r, minPages, tableMin, globalTypes, dataSegments, elementSegments);
      var requests = new ArrayList<List<Op>>();
      for (int k = 0; k < REQUESTS; k++) {
        requests.add(ops.request(k));
      }
      for (int f = 0; f < FUNCTIONS; f++) {
        b.function("f" + f, NONE, RESULT, new WasmBuilder.Code().i32Const(100 + f));
      }
      for (int k = 0; k < REQUESTS; k++) {
        WasmBuilder.Code body = new WasmBuilder.Code();
        requests.get(k).forEach(op -> op.emit(body));
        body.memorySize();
        for (int t = 0; t < tables; t++) {
          body.tableSize(t).i32Add();
        }
        b.function("request" + k, NONE, RESULT, body);
      }
      int spinAddress = r.nextInt(minPages * Memory.PAGE_SIZE - 4);
      WasmBuilder.Code spin = new WasmBuilder.Code();
      ops.writes().forEach(op -> op.emit(spin)); // dirties the instance first
      spin.loop()
          .i32Const(spinAddress)
          .i32Const(spinAddress)
          .memOp(0x28, 0)
          .i32Const(1)
          .i32Add()
          .memOp(0x36, 0)
          .br(0)
          .endBlock();
      b.function("spin", NONE, NONE, spin);
      return new Case(
          seed, b.build(), shape.toString(), requests, dataSegments, elementSegments, spinAddress);
    }

    private static String typeName(byte type) {
      return switch (type) {
        case I32 -> "i32";
        case I64 -> "i64";
        case F32 -> "f32";
        default -> "f64";
      };
    }

    /** Random bits for a value of {@code type}: small numbers, extremes, and NaNs with payloads. */
    private static long bits(SplittableRandom r, byte type) {
      long bits = r.nextInt(4) == 0 ? r.nextInt(1000) : r.nextLong();
      return type == I32 || type == F32 ? bits & 0xFFFF_FFFFL : bits;
    }

    private static byte[] bytes(SplittableRandom r) {
      byte[] bytes = new byte[1 + r.nextInt(16)];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) (1 + r.nextInt(255));
      }
      return bytes;
    }

    private static int[] functionList(SplittableRandom r, int n) {
      int[] fs = new int[n];
      for (int i = 0; i < n; i++) {
        fs[i] = r.nextInt(FUNCTIONS);
      }
      return fs;
    }
  }

  /** Draws the operations of requests for one module's shape. */
  private record Ops(
      SplittableRandom r,
      int minPages,
      int[] tableMin,
      byte[] globalTypes,
      int dataSegments,
      int elementSegments) {
    /**
     * Up to 8 operations in bounds of the declared sizes except one in 12 (past them, or past where
     * a grow may have taken them), and calls of earlier requests (so that traps unwind nested
     * frames); a third of the requests then trap on purpose, after their writes.
     */
    List<Op> request(int k) {
      var ops = new ArrayList<Op>();
      for (int i = r.nextInt(9); i > 0; i--) {
        ops.add(
            k > 0 && r.nextInt(5) == 0 ? new CallRequest(r.nextInt(k)) : op(r.nextInt(12) == 0));
      }
      if (r.nextInt(3) == 0) {
        ops.add(
            r.nextBoolean()
                ? new Unreachable()
                : new Store(false, (minPages + 8) * Memory.PAGE_SIZE + r.nextInt(100), 1));
      }
      return ops;
    }

    /** Stores and global writes that cannot trap. */
    List<Op> writes() {
      var ops = new ArrayList<Op>();
      for (int i = 1 + r.nextInt(4); i > 0; i--) {
        int g = r.nextInt(globalTypes.length - 1);
        ops.add(new Store(true, r.nextInt(minPages * Memory.PAGE_SIZE - 8), r.nextLong() | 1));
        ops.add(new GlobalSet(g, globalTypes[g], Case.bits(r, globalTypes[g])));
      }
      return ops;
    }

    private Op op(boolean wild) {
      int reach = wild ? (minPages + 3) * Memory.PAGE_SIZE : minPages * Memory.PAGE_SIZE - 16;
      int tables = tableMin.length;
      int t = tables == 0 ? -1 : r.nextInt(tables);
      int entries = t < 0 ? 0 : wild ? tableMin[t] + 4 : tableMin[t];
      int function = r.nextInt(FUNCTIONS + 1) - 1;
      return switch (r.nextInt(14)) {
        case 0, 1 ->
            new Store(r.nextBoolean(), r.nextInt(reach), r.nextLong() | 1); // never all zero
        case 2 -> new MemoryGrow(r.nextInt(2));
        case 3 -> new MemoryFill(r.nextInt(reach), 1 + r.nextInt(255), r.nextInt(wild ? 300 : 64));
        case 4 -> new MemoryCopy(r.nextInt(reach), r.nextInt(reach), r.nextInt(wild ? 300 : 64));
        case 5, 6 -> {
          int g = r.nextInt(globalTypes.length - 1); // the mutable ones
          yield new GlobalSet(g, globalTypes[g], Case.bits(r, globalTypes[g]));
        }
        case 7 -> t < 0 ? new MemoryGrow(0) : new TableGrow(t, function, r.nextInt(4));
        case 8 -> entries == 0 ? new MemoryGrow(0) : new TableSet(t, r.nextInt(entries), function);
        case 9 ->
            entries == 0
                ? new MemoryGrow(0)
                : new TableFill(t, r.nextInt(entries), function, r.nextInt(3));
        case 10 -> {
          if (entries == 0) {
            yield new MemoryGrow(0);
          }
          int source = r.nextInt(tables);
          int sourceEntries = wild ? tableMin[source] + 4 : tableMin[source];
          yield sourceEntries == 0
              ? new TableSet(t, r.nextInt(entries), function)
              : new TableCopy(
                  t, source, r.nextInt(entries), r.nextInt(sourceEntries), wild ? 3 : 1);
        }
        case 11 ->
            r.nextInt(4) == 0
                ? new DataDrop(r.nextInt(dataSegments))
                : new MemoryInit(
                    r.nextInt(dataSegments),
                    r.nextInt(reach),
                    wild ? r.nextInt(4) : 0,
                    wild ? r.nextInt(20) : 1);
        default ->
            elementSegments == 0 || t < 0
                ? new Store(false, r.nextInt(64), 7)
                : r.nextInt(4) == 0
                    ? new ElemDrop(r.nextInt(elementSegments))
                    : new TableInit(
                        r.nextInt(elementSegments),
                        t,
                        entries == 0 ? 0 : r.nextInt(entries),
                        0,
                        entries == 0 ? 0 : 1);
      };
    }
  }

  /** What can be observed of an instance: memory, globals, tables and segments, as a list. */
  private static List<Object> state(Instance instance, Case c) {
    var seen = new ArrayList<Object>();
    Memory memory = instance.memory();
    seen.add("pages " + memory.pages());
    seen.add("bytes#" + Arrays.hashCode(memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE)));
    for (int g = 0; g < instance.globalCount(); g++) {
      GlobalInstance global = instance.global(g);
      seen.add("global " + g + " = " + global.getValueLow() + "/" + global.getValueHigh());
    }
    for (int t = 0; t < instance.tableCount(); t++) {
      TableInstance table = instance.table(t);
      int[] refs = new int[table.size()];
      for (int j = 0; j < refs.length; j++) {
        refs[j] = table.ref(j);
      }
      seen.add("table " + t + " = " + Arrays.toString(refs));
    }
    for (int i = 0; i < c.dataSegments(); i++) {
      seen.add("data " + i + " = " + Arrays.toString(instance.dataSegmentData(i)));
    }
    for (int i = 0; i < c.elementSegments(); i++) {
      seen.add("elements " + i + (instance.element(i) == null ? " dropped" : " kept"));
    }
    return seen;
  }

  private static int[] tableSizes(Instance instance) {
    int[] sizes = new int[instance.tableCount()];
    for (int t = 0; t < sizes.length; t++) {
      sizes[t] = instance.table(t).size();
    }
    return sizes;
  }

  /**
   * The call's result, or the trap's type and message (without the address or size it names: the
   * pooled memory and Chicory's own name different ones for an access that crosses the end).
   */
  private static String call(Instance instance, String export) {
    try {
      return Arrays.toString(instance.export(export).apply());
    } catch (RuntimeException e) {
      String message = e.getMessage() == null ? "" : e.getMessage();
      return "trap "
          + e.getClass().getSimpleName()
          + ": "
          + message.replaceAll("address: -?\\d+", "address: _").replaceAll("size: \\d+", "size: _");
    }
  }

  private static Instance fresh(Case c) {
    return Instance.builder(Parser.parse(c.bytes())).withStart(false).build(); // no sharing
  }

  private static void check(Case c, String what, Object expected, Object actual) {
    if (!Objects.equals(expected, actual)) {
      throw new AssertionError(
          "failing case " + c + ": " + what + ": expected " + expected + " but was " + actual);
    }
  }

  /** The recycle statistics a test expects, counted as it goes. */
  private static final class Expected {
    long recycled;
    long built;
    final Map<Reason, Long> notRecycled = new EnumMap<>(Reason.class);

    void count(Reason reason) {
      notRecycled.merge(reason, 1L, Long::sum);
    }

    RecycleStats stats() {
      return new RecycleStats(recycled, built, notRecycled);
    }
  }

  @Test
  void randomModules_everyRecycledInstance_equalsAFreshOne_callForCall() throws Exception {
    var total = new Expected();
    for (long seed = 0; seed < SEEDS; seed++) {
      Case c = Case.random(seed);
      WasmModule module = Parser.parse(c.bytes());
      var r = new SplittableRandom(~seed);
      try (var pool =
          WasmInstancePool.builder()
              .slots(1)
              .maxMemoryBytes((long) POOL_PAGES * Memory.PAGE_SIZE)
              .build()) {
        PreparedModule<String> prepared = pool.prepare(module, Linker.<String>builder().build());
        check(c, "recycles", true, prepared.recycles());
        var expected = new Expected();
        boolean parked = false;
        for (int round = 0; round < ROUNDS; round++) {
          String at = "round " + round;
          PooledInstance pooled = prepared.instantiate(at);
          if (parked) {
            expected.recycled++;
          } else {
            expected.built++;
            expected.count(Reason.NO_INSTANCE_ON_SLOT);
          }
          check(c, at + ", stats at instantiation", expected.stats(), prepared.recycleStats());
          Instance instance = pooled.instance();
          Instance reference = fresh(c);
          check(c, at + ", state at start", state(reference, c), state(instance, c));
          int[] initialTables = tableSizes(reference);
          List<String> calls = calls(c, r);
          if (round > 0 && r.nextInt(4) == 0) {
            calls = calls.subList(0, r.nextInt(calls.size()));
            check(c, at + ", cancelled after " + calls, true, cancelSpin(pooled, instance, calls));
            expected.count(Reason.CANCELLED);
            parked = false;
          } else {
            for (String export : calls) {
              String step = at + ", " + export;
              check(c, step + ", result", call(reference, export), call(instance, export));
              check(c, step + ", state after", state(reference, c), state(instance, c));
            }
            pooled.close();
            parked = Arrays.equals(initialTables, tableSizes(reference));
            if (!parked) {
              expected.count(Reason.TABLE_GROWN);
            }
          }
          check(c, at + ", stats after close", expected.stats(), prepared.recycleStats());
        }
        total.recycled += expected.recycled;
        total.built += expected.built;
        expected.notRecycled.forEach((reason, n) -> total.notRecycled.merge(reason, n, Long::sum));
      }
    }
    // The rounds exercised every path: recycling, and both reasons to drop an instance.
    if (total.recycled < SEEDS * 2
        || !total.notRecycled.containsKey(Reason.CANCELLED)
        || !total.notRecycled.containsKey(Reason.TABLE_GROWN)) {
      throw new AssertionError("too few rounds recycled or dropped: " + total.stats());
    }
  }

  /**
   * A round's calls: every export in a random order, then a few again; or (one round in two) a few
   * exports at random, so that rounds whose requests grow a table leave some that do not.
   */
  private static List<String> calls(Case c, SplittableRandom r) {
    List<String> exports = c.exports();
    var calls = new ArrayList<String>();
    if (r.nextBoolean()) {
      calls.addAll(exports);
      Collections.shuffle(calls, new Random(r.nextLong()));
    }
    for (int extra = 1 + r.nextInt(3); extra > 0; extra--) {
      calls.add(exports.get(r.nextInt(exports.size())));
    }
    return calls;
  }

  /**
   * Makes {@code calls} on the instance, then runs {@code spin} on another thread and closes the
   * instance from this one while the spin runs; returns whether the spin failed.
   */
  private static boolean cancelSpin(PooledInstance pooled, Instance instance, List<String> calls)
      throws InterruptedException {
    for (String export : calls) {
      call(instance, export);
    }
    var failure = new AtomicReference<Throwable>();
    Thread request =
        new Thread(
            () -> {
              try {
                instance.export("spin").apply();
              } catch (RuntimeException | Error e) {
                failure.set(e);
              }
            });
    request.start();
    while (!pooled.isRunning() && request.isAlive()) {
      Thread.onSpinWait();
    }
    pooled.close();
    request.join(TimeUnit.SECONDS.toMillis(30));
    if (request.isAlive()) {
      throw new AssertionError("spin still runs 30 s after its instance was closed");
    }
    return failure.get() != null;
  }
}
