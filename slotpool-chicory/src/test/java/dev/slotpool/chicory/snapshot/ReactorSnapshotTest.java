package dev.slotpool.chicory.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reactors with {@code _initialize}: an instance from a snapshot equals one that just ran the init
 * (memory, globals, tables, dropped segments), the start function and the init never run again, no
 * request sees another's writes, and what cannot be captured is refused.
 */
class ReactorSnapshotTest {
  private static final Consumer<Instance> INIT = i -> i.export("_initialize").apply();

  private static WasmModule parse(byte[] bytes) {
    return Parser.parse(bytes);
  }

  private static WasmInstancePool pool() {
    return WasmInstancePool.builder().slots(2).maxMemoryBytes(1 << 20).build();
  }

  /** What a request observes: every export's answer, and the traps of the dropped segments. */
  static List<Object> observe(Instance instance) {
    var seen = new ArrayList<Object>();
    seen.add(instance.memory().pages());
    seen.add(instance.export("seed").apply()[0]);
    for (int addr : new int[] {16, 100, 200, 300, 400}) {
      seen.add(instance.export("peek").apply(addr)[0]);
    }
    seen.add(instance.table(0).size());
    seen.add(instance.table(0).ref(0));
    seen.add(instance.table(0).ref(1));
    seen.add(trap(() -> instance.export("init_passive").apply()));
    seen.add(trap(() -> instance.export("table_init").apply()));
    for (int x : new int[] {1, 5, 9}) {
      seen.add(instance.export("work").apply(x)[0]);
    }
    seen.add(instance.export("peek").apply(200)[0]);
    return seen;
  }

  private static String trap(Runnable call) {
    try {
      call.run();
      return "no trap";
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName();
    }
  }

  @ParameterizedTest(name = "start section: {0}")
  @ValueSource(booleans = {false, true})
  void snapshotInstance_behavesAsAFreshInit(boolean start) {
    byte[] bytes = ReactorModules.reactor(start);
    Instance fresh = Instance.builder(parse(bytes)).build();
    INIT.accept(fresh);
    byte[] freshMemory = fresh.memory().readBytes(0, fresh.memory().pages() * Memory.PAGE_SIZE);
    List<Object> expected = observe(fresh);
    assertThat(expected.get(0)).as("init grew the memory").isEqualTo(2);
    assertThat(expected.get(6)).as("the start function ran once").isEqualTo(start ? 1L : 0L);
    assertThat(expected.get(10)).as("init_passive after data.drop").isNotEqualTo("no trap");

    WasmModule module = parse(bytes);
    try (var pool = pool();
        WasmSnapshot snapshot = pool.snapshot(module, INIT)) {
      for (int request = 0; request < 3; request++) {
        try (PooledInstance pooled = pool.instantiate(snapshot)) {
          Instance instance = pooled.instance();
          Memory memory = instance.memory();
          assertThat(memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE))
              .as("memory of request %d", request)
              .isEqualTo(freshMemory);
          assertThat(observe(instance)).as("request %d", request).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void init_runsOnce_andNeverForAnInstanceFromTheSnapshot() {
    var inits = new AtomicInteger();
    try (var pool = pool();
        var snapshot =
            pool.snapshot(
                parse(ReactorModules.reactor(true)),
                i -> {
                  inits.incrementAndGet();
                  INIT.accept(i);
                })) {
      for (int i = 0; i < 3; i++) {
        try (var pooled = pool.instantiate(snapshot)) {
          assertThat(pooled.instance().export("peek").apply(400)[0]).isEqualTo(1L);
        }
      }
      assertThat(inits).hasValue(1);
      assertThat(snapshot.instantiations()).isEqualTo(3);
    }
  }

  @ParameterizedTest(name = "keepResident={0} pagemap={1}")
  @CsvSource({"0,true", "0,false", "1048576,true", "1048576,false"})
  void requests_fromOneSnapshot_neverSeeEachOthersWrites(long keepResident, boolean pagemap) {
    try (var pool =
            WasmInstancePool.builder()
                .slots(1)
                .maxMemoryBytes(1 << 20)
                .keepResidentBytes(keepResident)
                .usePagemapScan(pagemap)
                .build();
        var snapshot = pool.snapshot(parse(ReactorModules.reactor(false)), INIT)) {
      for (int request = 0; request < 4; request++) {
        try (var pooled = pool.instantiate(snapshot)) {
          Instance instance = pooled.instance();
          assertThat(instance.memory().pages()).as("request %d", request).isEqualTo(2);
          assertThat(instance.export("peek").apply(200)[0]).isZero();
          assertThat(instance.global(0).getValue()).isEqualTo(10);
          assertThat(instance.table(0).size()).isEqualTo(2);
          assertThat(instance.table(0).ref(0)).isEqualTo(3);
          // Dirty everything a request can reach: memory (also grown), globals, tables.
          instance.export("work").apply(1000);
          Memory memory = instance.memory();
          memory.grow(1);
          memory.fill((byte) 0x5A, 0, memory.pages() * Memory.PAGE_SIZE);
          instance.global(1).setValue(-1);
          instance.table(0).setRef(0, 2, instance);
          instance.table(0).grow(3, 2, instance);
        }
      }
      assertThat(pool.stats().affinityHits()).as("all but the first").isEqualTo(3);
    }
  }

  @Test
  void lifecycle_closePurgeStats() {
    WasmModule module = parse(ReactorModules.reactor(false));
    var pool = pool();
    try (var other = pool()) {
      WasmSnapshot a = pool.snapshot(module, INIT);
      WasmSnapshot b = pool.snapshot(module, i -> {});
      try (var pa = pool.instantiate(a);
          var pb = pool.instantiate(b)) {
        // Two snapshots of one module are two keys: different state, different slots.
        assertThat(pa.instance().global(0).getValue()).isEqualTo(10);
        assertThat(pb.instance().global(0).getValue()).isZero();
      }
      var stats = pool.snapshotStats();
      assertThat(stats.liveSnapshots()).isEqualTo(2);
      assertThat(stats.snapshotsTaken()).isEqualTo(2);
      assertThat(stats.instantiations()).isEqualTo(2);
      assertThat(stats.imageBytes()).isEqualTo(3L * Memory.PAGE_SIZE);
      assertThatThrownBy(() -> other.instantiate(a))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("another pool");
      assertThat(pool.purge(a)).isEqualTo(1);
      try (var again = pool.instantiate(a)) {
        assertThat(again.reusedSlot()).as("purged: no affinity left").isFalse();
        assertThat(again.instance().global(0).getValue()).isEqualTo(10);
      }
      a.close();
      a.close();
      assertThat(pool.snapshotStats().liveSnapshots()).isEqualTo(1);
      assertThatThrownBy(() -> pool.instantiate(a))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThat(pool.stats().inUse()).isZero();
      pool.close();
      assertThat(b.isClosed()).as("closing the pool closes its snapshots").isTrue();
    } finally {
      pool.close();
    }
  }

  @Test
  void init_thatThrows_leavesNoSlotAndNoSnapshot() {
    try (var pool = pool()) {
      assertThatThrownBy(
              () ->
                  pool.snapshot(
                      parse(ReactorModules.reactor(false)),
                      i -> {
                        throw new IllegalStateException("init failed");
                      }))
          .hasMessage("init failed");
      assertThat(pool.stats().inUse()).isZero();
      assertThat(pool.snapshotStats().liveSnapshots()).isZero();
    }
  }

  @Test
  void refused_sharedMemory() {
    assertRefused(ReactorModules.sharedMemory(), i -> {}, "memory 0 is shared");
  }

  @Test
  void refused_importedMemoryTableAndMutableGlobal() {
    assertRefused(ReactorModules.importing("memory", 0x02, 0x00, 1), i -> {}, "memory env.memory");
    assertRefused(
        ReactorModules.importing("table", 0x01, 0x70, 0x00, 1), i -> {}, "table env.table");
    assertRefused(
        ReactorModules.importing("g", 0x03, 0x7F, 0x01), i -> {}, "the mutable global env.g");
  }

  @Test
  void refused_externrefInATableOrAGlobal() {
    // A runtime that carries references as objects (applyWithRefs) refuses this init's apply(5)
    // before the snapshot sees the reference: the case is the long-carrying runtime's.
    assumeTrue(
        Arrays.stream(ExportFunction.class.getMethods())
            .noneMatch(m -> m.getName().equals("applyWithRefs")),
        "references are objects in this runtime");
    Consumer<Instance> store = i -> i.export("set").apply(5L);
    assertRefused(ReactorModules.externref(true), store, "table 0 entry 0 holds a reference");
    assertRefused(ReactorModules.externref(false), store, "global 0 holds a reference");
  }

  @Test
  void externrefsLeftNull_areCaptured() {
    try (var pool = pool();
        var snapshot = pool.snapshot(parse(ReactorModules.externref(true)), i -> {});
        var pooled = pool.instantiate(snapshot)) {
      assertThat(pooled.instance().table(0).size()).isEqualTo(1);
    }
  }

  private static void assertRefused(byte[] bytes, Consumer<Instance> init, String why) {
    var inits = new AtomicInteger();
    try (var pool = pool()) {
      assertThatThrownBy(
              () ->
                  pool.snapshot(
                      parse(bytes),
                      b -> {},
                      i -> {
                        inits.incrementAndGet();
                        init.accept(i);
                      }))
          .isInstanceOf(UnsupportedOperationException.class)
          .hasMessageStartingWith("cannot snapshot the instance: ")
          .hasMessageContaining(why);
      assertThat(pool.stats().inUse()).isZero();
      assertThat(pool.snapshotStats().liveSnapshots()).isZero();
    }
  }
}
