package dev.slotpool.chicory;

import static com.dylibso.chicory.wasm.Parser.parse;
import static dev.slotpool.testkit.wasm.TestModules.LOADS;
import static dev.slotpool.testkit.wasm.TestModules.OFFSETS;
import static dev.slotpool.testkit.wasm.TestModules.PASSIVE;
import static dev.slotpool.testkit.wasm.TestModules.STORES;
import static dev.slotpool.testkit.wasm.TestModules.memops;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Value;
import dev.slotpool.testkit.wasm.TestModules.Load;
import dev.slotpool.testkit.wasm.TestModules.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pooled instances against instances on Chicory's own {@code ByteArrayMemory}: every memory
 * instruction, at and around every boundary, must give the same results, the same traps and the
 * same memory contents. The pool is shared by the whole class, so most instances run in a slot that
 * an earlier test dirtied.
 */
class DifferentialTest {
  private static final int PAGES = 2;
  private static final int MAX_PAGES = 4;
  private static final int SIZE = PAGES * 65_536;

  private static final WasmModule MEMOPS = parse(memops(PAGES, MAX_PAGES, false));
  private static final WasmModule MEMOPS_GLOBAL = parse(memops(PAGES, MAX_PAGES, true));
  private static final WasmModule EMPTY_MEMORY = parse(memops(0, MAX_PAGES, false));

  private static WasmInstancePool pool;

  @BeforeAll
  static void createPool() {
    pool = WasmInstancePool.builder().slots(4).maxMemoryBytes(1 << 20).build();
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  /** Addresses around every boundary of a memory of {@code size} bytes. */
  private static long[] addresses(int size) {
    var out = new ArrayList<Long>();
    for (long a : new long[] {0, 1, 2, 3, 5, 7, 65_528, 65_533, 65_534, 65_535, 65_536, 65_537}) {
      out.add(a);
    }
    for (int d = -9; d <= 2; d++) {
      out.add((long) size + d);
    }
    out.add(0x7FFF_FFFFL);
    out.add(0xFFFF_FFFFL); // -1 as an i32
    out.add(0xFFFF_0000L);
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private static final long[] VALUES = {
    0,
    -1,
    0x7F,
    0x80,
    0x7FFF,
    0x8000,
    0x7FFF_FFFFL,
    0x8000_0000L,
    0x0123_4567_89AB_CDEFL,
    Long.MIN_VALUE,
    0x7FC0_0001L /* quiet NaN with payload */,
    0x7F80_0001L /* signalling NaN */,
    0x7FF0_0000_0000_0001L /* f64 signalling NaN */
  };

  @Test
  void storesThenLoads_everyWidthSignOffsetAndBoundary_matchChicory() {
    try (var d = Differential.of(pool, MEMOPS, null, "memops")) {
      int trapped = 0;
      for (Store store : STORES) {
        for (long offset : OFFSETS) {
          for (long addr : addresses(SIZE)) {
            for (long value : VALUES) {
              if (d.call(store.name() + "@" + offset, addr, value).trapped()) {
                trapped++;
              }
            }
            d.assertSameMemory("after " + store.name() + "@" + offset + " at " + addr);
          }
        }
      }
      for (Load load : LOADS) {
        for (long offset : OFFSETS) {
          for (long addr : addresses(SIZE)) {
            d.call(load.name() + "@" + offset, addr);
          }
        }
      }
      assertThat(trapped).as("stores that trapped: the boundaries were reached").isPositive();
    }
  }

  @Test
  void loads_unalignedAcrossThePageBoundary_readTheDataSegment() {
    try (var d = Differential.of(pool, MEMOPS, null, "memops")) {
      for (Load load : LOADS) {
        for (long addr = 65_528; addr <= 65_540; addr++) {
          var outcome = d.call(load.name() + "@0", addr);
          assertThat(outcome.trapped()).isFalse();
        }
      }
    }
  }

  @Test
  void outOfBounds_firstByteOfEveryWidthPastTheEnd_trapsLikeChicory() {
    try (var d = Differential.of(pool, MEMOPS, null, "memops")) {
      for (Load load : LOADS) {
        assertThat(d.call(load.name() + "@0", SIZE - load.width()).trapped()).isFalse();
        assertThat(d.call(load.name() + "@0", SIZE - load.width() + 1).trapped()).isTrue();
      }
      for (Store store : STORES) {
        assertThat(d.call(store.name() + "@0", SIZE - store.width(), -1).trapped()).isFalse();
        assertThat(d.call(store.name() + "@0", SIZE - store.width() + 1, -1).trapped()).isTrue();
      }
      d.assertSameMemory("after the boundary stores");
    }
  }

  @Test
  void grow_toTheMaximumAndPastIt_matchesChicory() {
    try (var d = Differential.of(pool, MEMOPS, null, "memops")) {
      assertThat(d.call("grow", 0).result()).containsExactly(PAGES);
      assertThat(d.call("grow", 1).result()).containsExactly(PAGES);
      d.call("i64.store@0", SIZE + 65_536 - 8, 0x1122_3344_5566_7788L); // the new page is usable
      d.call("grow", MAX_PAGES - PAGES); // one page too many: -1
      d.call("grow", 0xFFFF_FFFFL); // -1 pages
      d.call("grow", 0x1_0000); // past the 4 GiB limit
      assertThat(d.call("grow", 1).result()).containsExactly(PAGES + 1);
      assertThat(d.call("grow", 1).result()).containsExactly(-1);
      assertThat(d.call("size").result()).containsExactly(MAX_PAGES);
      for (long addr : addresses(MAX_PAGES * 65_536)) {
        d.call("i32.load@0", addr);
        d.call("i32.store@0", addr, 0xCAFE_BABEL);
      }
      d.assertSameMemory("after growing to the maximum");
    }
  }

  @Test
  void grow_fromZeroPages_matchesChicory() {
    try (var d = Differential.of(pool, EMPTY_MEMORY, null, "empty memory")) {
      d.call("i32.load8_u@0", 0);
      assertThat(d.call("grow", 1).result()).containsExactly(0);
      d.call("i32.store@0", 65_532, 42);
      d.call("i32.load@0", 65_532);
      d.call("i32.load@0", 65_533);
      d.assertSameMemory("after growing from zero");
    }
  }

  @Test
  void fill_boundariesAndOverflowingLengths_matchChicory() {
    try (var d = Differential.of(pool, MEMOPS, null, "memops")) {
      long[][] cases = {
        {0, 0xAB, 10}, {65_530, 0x11, 20}, {SIZE - 5, 0x22, 5}, {SIZE - 5, 0x33, 6}, {SIZE, 0, 0},
        {SIZE, 0, 1}, {SIZE + 1, 0, 0}, {0, 0x44, SIZE}, {1, 0x55, SIZE}, {0x7FFF_FFFFL, 1, 2},
        {10, 1, 0xFFFF_FFFFL}, {SIZE - 1, 7, 0x7FFF_FFFFL}, {0xFFFF_FFFFL, 1, 1}, {100, 0x1FF, 3}
      };
      for (long[] c : cases) {
        d.call("fill", c);
        d.assertSameMemory("after fill " + java.util.Arrays.toString(c));
      }
    }
  }

  @Test
  void copy_overlappingBothWaysAndAtTheEdges_matchesChicory() {
    try (var d = Differential.of(pool, MEMOPS, null, "memops")) {
      for (int i = 0; i < 64; i++) {
        d.call("i32.store8@0", 65_500 + i, i + 1);
      }
      long[][] cases = {
        {65_510, 65_500, 64},
        {65_490, 65_500, 64},
        {65_501, 65_500, 63},
        {65_500, 65_501, 63},
        {0, 65_500, 64},
        {SIZE - 64, 65_500, 64},
        {SIZE - 63, 65_500, 64},
        {65_500, SIZE - 63, 64},
        {SIZE, 0, 0},
        {0, SIZE, 0},
        {SIZE + 1, 0, 0},
        {0, 1, SIZE - 1},
        {1, 0, SIZE - 1},
        {0, 0, SIZE},
        {0, 0, SIZE + 1},
        {0x7FFF_FFFFL, 0, 2},
        {5, 0xFFFF_FFFFL, 1},
        {SIZE - 1, 0, 0x7FFF_FFFFL}
      };
      for (long[] c : cases) {
        d.call("copy", c);
        d.assertSameMemory("after copy " + java.util.Arrays.toString(c));
      }
    }
  }

  @Test
  void memoryInitAndDataDrop_matchChicory() {
    try (var d = Differential.of(pool, MEMOPS, null, "memops")) {
      int len0 = PASSIVE.get(0).length;
      long[][] cases = {
        {0, 0, len0},
        {10, 2, 5},
        {SIZE - len0, 0, len0},
        {SIZE - len0 + 1, 0, len0},
        {0, 0, len0 + 1},
        {0, len0, 0},
        {0, len0 + 1, 0},
        {SIZE, 0, 0},
        {0xFFFF_FFFFL, 0, 1},
        {65_530, 1, 12}
      };
      for (long[] c : cases) {
        d.call("init0", c);
        d.call("init1", c);
        d.assertSameMemory("after init " + java.util.Arrays.toString(c));
      }
      d.call("drop0");
      d.call("init0", 0, 0, 0);
      d.call("init0", 0, 0, 1);
      d.call("drop0");
      d.call("init1", 200, 3, 9);
      d.assertSameMemory("after drop");
    }
  }

  @Test
  void dataSegments_atAGlobalOffset_areCopiedInOrderAfterTheImage() {
    for (int offset : new int[] {0, 90, 65_530, SIZE - 18}) {
      try (var d = Differential.of(pool, MEMOPS_GLOBAL, offset, "global offset " + offset)) {
        d.call("i64.load@0", offset);
        d.call("i64.load@0", 100);
      }
    }
  }

  @Test
  void dataSegments_atAGlobalOffsetOutOfBounds_failInstantiationLikeChicory() {
    for (int offset : new int[] {SIZE - 17, SIZE, -1}) {
      var imports =
          ImportValues.builder()
              .addGlobal(new ImportGlobal("env", "offset", new GlobalInstance(Value.i32(offset))))
              .build();
      Throwable expected =
          catchThrowable(
              () ->
                  Instance.builder(MEMOPS_GLOBAL)
                      .withImportValues(imports)
                      .withMemoryFactory(ByteArrayMemory::new)
                      .build());
      int inUse = pool.stats().inUse();
      Throwable actual =
          catchThrowable(() -> pool.instantiate(MEMOPS_GLOBAL, b -> b.withImportValues(imports)));
      assertThat(expected).as("offset %d", offset).isNotNull();
      assertThat(actual)
          .as("offset %d", offset)
          .isExactlyInstanceOf(expected.getClass())
          .hasMessage(expected.getMessage());
      assertThat(pool.stats().inUse()).as("the failed instantiation's slot").isEqualTo(inUse);
    }
  }

  static IntStream seeds() {
    return IntStream.range(0, 24);
  }

  /** Random sequences of every operation, biased to boundaries; the seed reproduces a failure. */
  @ParameterizedTest
  @MethodSource("seeds")
  void randomOperationSequences_matchChicory(int seed) {
    var random = new SplittableRandom(seed);
    try (var d = Differential.of(pool, MEMOPS, null, "seed " + seed)) {
      int size = SIZE;
      List<String> ops = new ArrayList<>();
      for (int step = 0; step < 150; step++) {
        String op;
        long[] args;
        int kind = random.nextInt(10);
        if (kind < 3) {
          Store s = STORES.get(random.nextInt(STORES.size()));
          op = s.name() + "@" + OFFSETS.get(random.nextInt(2));
          args = new long[] {address(random, size), VALUES[random.nextInt(VALUES.length)]};
        } else if (kind < 6) {
          Load l = LOADS.get(random.nextInt(LOADS.size()));
          op = l.name() + "@" + OFFSETS.get(random.nextInt(OFFSETS.size()));
          args = new long[] {address(random, size)};
        } else if (kind == 6) {
          op = "fill";
          args = new long[] {address(random, size), random.nextInt(256), length(random, size)};
        } else if (kind == 7) {
          op = "copy";
          args = new long[] {address(random, size), address(random, size), length(random, size)};
        } else if (kind == 8) {
          int seg = random.nextInt(PASSIVE.size());
          op = random.nextInt(8) == 0 ? "drop" + seg : "init" + seg;
          args =
              op.startsWith("drop")
                  ? new long[0]
                  : new long[] {address(random, size), random.nextInt(48), random.nextInt(48)};
        } else {
          op = "grow";
          args = new long[] {random.nextInt(3)};
        }
        ops.add(op);
        var outcome = d.call(op, args);
        if (op.equals("grow") && !outcome.trapped() && outcome.result()[0] >= 0) {
          size = d.reference().memory().pages() * 65_536;
        }
        d.assertSameMemory("after step " + step + " " + ops);
      }
    }
  }

  private static long address(SplittableRandom random, int size) {
    return switch (random.nextInt(6)) {
      case 0 -> random.nextInt(size + 16);
      case 1 -> size - random.nextInt(1, 12);
      case 2 -> 65_536 - random.nextInt(-8, 8);
      case 3 -> random.nextInt(16);
      case 4 -> random.nextInt(24) == 0 ? 0xFFFF_FFFFL : size + random.nextInt(3);
      default -> random.nextInt(size);
    };
  }

  private static long length(SplittableRandom random, int size) {
    return switch (random.nextInt(4)) {
      case 0 -> 0;
      case 1 -> random.nextInt(300);
      case 2 -> random.nextInt(size + 2);
      default -> random.nextInt(70_000);
    };
  }
}
