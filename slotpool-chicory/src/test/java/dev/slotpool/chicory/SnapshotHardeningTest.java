package dev.slotpool.chicory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.testkit.wasm.WasmBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/**
 * What snapshots must keep and release: a passive data segment the init did not drop, a table's
 * size that is the instance's alone, and a snapshot's slots and images when it or its pool closes
 * under a racing instantiation or snapshot.
 */
class SnapshotHardeningTest {
  private static final byte[] NONE = {};
  private static final byte[] I32 = {0x7F};
  private static final byte[] WORLD = "world".getBytes(StandardCharsets.US_ASCII);

  private static WasmInstancePool pool(int slots) {
    return WasmInstancePool.builder().slots(slots).maxMemoryBytes(4 << 16).build();
  }

  /**
   * Memory 1..2 pages and a passive segment "world" the init keeps: {@code init} stores 1 at 0;
   * {@code copy()} does memory.init of the whole segment to 32 and returns the byte at 36 ('d').
   */
  static byte[] keepsPassiveSegment() {
    var b = new WasmBuilder();
    b.memory(1, 2).exportMemory("memory");
    int passive = b.passiveData(WORLD);
    b.function("init", NONE, NONE, new WasmBuilder.Code().i32Const(0).i32Const(1).memOp(0x3A, 0));
    b.function(
        "copy",
        NONE,
        I32,
        new WasmBuilder.Code()
            .i32Const(32)
            .i32Const(0)
            .i32Const(WORLD.length)
            .memoryInit(passive)
            .i32Const(36)
            .memOp(0x2D, 0));
    return b.build();
  }

  @Test
  void passiveSegmentKeptByTheInit_isCopiedFromTheSnapshotAndFromTheWrittenModule() {
    byte[] bytes = keepsPassiveSegment();
    Instance plain = Instance.builder(Parser.parse(bytes)).build();
    plain.export("init").apply();
    assertThat(plain.export("copy").apply()[0]).as("plain Chicory after init").isEqualTo('d');

    try (var pool = pool(2);
        WasmSnapshot snapshot = pool.snapshot(Parser.parse(bytes), i -> i.export("init").apply())) {
      for (int request = 0; request < 2; request++) {
        try (PooledInstance pooled = pool.instantiate(snapshot)) {
          assertThat(pooled.instance().export("copy").apply()[0])
              .as("memory.init of the kept passive segment, request %d", request)
              .isEqualTo('d');
        }
      }
      byte[] written = SnapshotWriter.toBytes(snapshot, bytes, "init");
      Instance fromFile = Instance.builder(Parser.parse(written)).build();
      assertThat(fromFile.export("copy").apply()[0]).as("written module").isEqualTo('d');
    }
  }

  /**
   * A funcref table 1..max; {@code grow(n)} grows it by n nulls, {@code size()} returns its size.
   */
  static byte[] growingTable(int max) {
    var b = new WasmBuilder();
    b.table(1, max);
    b.function(
        "grow",
        I32,
        I32,
        new WasmBuilder.Code().refNullFunc().localGet(0).tableGrow(0).drop().tableSize(0));
    b.function("size", NONE, I32, new WasmBuilder.Code().tableSize(0));
    return b.build();
  }

  @Test
  void tableGrow_inOneInstance_neverReachesTheNextOne_norTheParsedModule() {
    WasmModule module = Parser.parse(growingTable(100));
    try (var pool = pool(2)) {
      for (int request = 0; request < 4; request++) {
        try (PooledInstance pooled = pool.instantiate(module)) {
          assertThat(pooled.instance().export("size").apply()[0])
              .as("table size at the start of request %d", request)
              .isEqualTo(1);
          assertThat(pooled.instance().export("grow").apply(7)[0]).isEqualTo(8);
        }
      }
      assertThat(module.tableSection().getTable(0).limits().min())
          .as("the parsed module's own table minimum")
          .isEqualTo(1);
    }
  }

  @Test
  void tableGrownByTheInit_staysInTheSnapshot_andNeverReachesInstancesOfTheModule() {
    WasmModule module = Parser.parse(growingTable(-1));
    try (var pool = pool(2);
        WasmSnapshot snapshot = pool.snapshot(module, i -> i.export("grow").apply(100))) {
      for (int request = 0; request < 3; request++) {
        try (PooledInstance pooled = pool.instantiate(snapshot)) {
          assertThat(pooled.instance().export("size").apply()[0])
              .as("snapshot instance %d starts at the captured size", request)
              .isEqualTo(101);
          assertThat(pooled.instance().export("grow").apply(7)[0]).isEqualTo(108);
        }
        try (PooledInstance pooled = pool.instantiate(module)) {
          assertThat(pooled.instance().export("size").apply()[0])
              .as("module instance %d starts at the declared size", request)
              .isEqualTo(1);
        }
      }
      assertThat(module.tableSection().getTable(0).limits().min()).isEqualTo(1);
    }
  }

  @Test
  void snapshotClosedDuringAnInstantiation_instanceCompletes_andItsSlotComesBackWithoutAffinity() {
    byte[] bytes = keepsPassiveSegment();
    try (var pool = pool(2)) {
      WasmSnapshot snapshot = pool.snapshot(Parser.parse(bytes), i -> i.export("init").apply());
      // The customizer runs after the closed check and before the slots are leased: the race's
      // window, made certain.
      try (PooledInstance pooled = pool.instantiate(snapshot, builder -> snapshot.close())) {
        assertThat(snapshot.isClosed()).isTrue();
        assertThat(pooled.instance().memory().read(0))
            .as("the instance started from the images it began with")
            .isEqualTo((byte) 1);
        assertThat(pooled.instance().export("copy").apply()[0]).isEqualTo('d');
      }
      assertThat(snapshot.purgeSlots())
          .as("warm slots still holding the closed snapshot's key and image")
          .isZero();
      assertThatThrownBy(() -> pool.instantiate(snapshot))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is closed");
    }
  }

  /** Five memories of one page, each with an active segment: five keys for a close to purge. */
  static byte[] fiveMemories() {
    var b = new WasmBuilder();
    for (int m = 0; m < 5; m++) {
      b.memory(1, 1);
      b.activeData(m, 8, WORLD);
    }
    b.function("init", NONE, NONE, new WasmBuilder.Code());
    b.function("copy", NONE, NONE, new WasmBuilder.Code());
    return b.build();
  }

  /**
   * The same race as it happens, with both sides' timing varied: rare by nature (the test above
   * makes its window certain), but it also covers five memories, purges racing the close, and a
   * close landing anywhere in an instantiation.
   */
  @Test
  void snapshotClosedRacingInstantiations_noWarmSlotKeepsItsKey() throws Exception {
    WasmModule module = Parser.parse(fiveMemories());
    int rounds = 300;
    try (var pool = pool(20)) {
      var failures = new ConcurrentLinkedQueue<String>();
      for (int round = 0; round < rounds; round++) {
        WasmSnapshot snapshot = pool.snapshot(module, i -> i.export("init").apply());
        // Warm slots of the snapshot make close()'s purge of each key take a while.
        try (PooledInstance one = pool.instantiate(snapshot);
            PooledInstance two = pool.instantiate(snapshot)) {
          assertThat(one.slot()).isNotEqualTo(two.slot());
        }
        var barrier = new CyclicBarrier(3);
        int spin = round % 13;
        Runnable instantiate =
            () -> {
              await(barrier);
              try (PooledInstance pooled = pool.instantiate(snapshot, b -> spin(spin))) {
                pooled.instance().export("copy").apply();
              } catch (IllegalStateException expected) {
                // closed first: allowed
              } catch (RuntimeException e) {
                failures.add(e.toString());
              }
            };
        Thread a = Thread.ofPlatform().start(instantiate);
        Thread b = Thread.ofPlatform().start(instantiate);
        await(barrier);
        spin(round * 7 % 60);
        pool.purge(snapshot);
        snapshot.close();
        pool.purge(snapshot);
        a.join();
        b.join();
        int kept = snapshot.purgeSlots();
        if (kept != 0) {
          failures.add("round " + round + ": " + kept + " warm slots kept the closed snapshot");
        }
      }
      assertThat(failures).as("failures in %d rounds", rounds).isEmpty();
      assertThat(pool.snapshotStats().liveSnapshots()).isZero();
    }
  }

  @Test
  void poolClosedDuringASnapshot_throws_andKeepsNoLiveSnapshot() {
    byte[] bytes = keepsPassiveSegment();
    var pool = pool(2);
    assertThatThrownBy(
            () ->
                pool.snapshot(
                    Parser.parse(bytes),
                    i -> {
                      i.export("init").apply();
                      pool.close();
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(pool.snapshotStats().liveSnapshots()).isZero();
    assertThat(pool.snapshotStats().snapshotsTaken()).isZero();
  }

  @Test
  void poolClosedRacingSnapshots_everySnapshotReturnedIsClosedWithThePool() throws Exception {
    byte[] bytes = keepsPassiveSegment();
    WasmModule module = Parser.parse(bytes);
    var failures = new ArrayList<String>();
    for (int round = 0; round < 100; round++) {
      var pool = pool(2);
      var barrier = new CyclicBarrier(2);
      List<WasmSnapshot> taken = new ArrayList<>();
      int spin = round % 20;
      Thread taker =
          Thread.ofPlatform()
              .start(
                  () -> {
                    await(barrier);
                    for (int i = 0; i < 5; i++) {
                      try {
                        taken.add(
                            pool.snapshot(
                                module,
                                inst -> {
                                  spin(spin);
                                  inst.export("init").apply();
                                }));
                      } catch (IllegalStateException closed) {
                        return;
                      }
                    }
                  });
      await(barrier);
      pool.close();
      taker.join();
      for (WasmSnapshot s : taken) {
        if (!s.isClosed()) {
          failures.add("round " + round + ": " + s + " is live after its pool closed");
        }
        s.close(); // must not throw either
      }
      if (pool.snapshotStats().liveSnapshots() != 0) {
        failures.add("round " + round + ": stats count a live snapshot in a closed pool");
      }
    }
    assertThat(failures).isEmpty();
  }

  /** Widens a race's window by a varying amount. */
  private static void spin(int times) {
    for (int i = 0; i < times; i++) {
      Thread.yield();
    }
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
