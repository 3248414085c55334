package dev.slotpool.chicory;

import static com.dylibso.chicory.wasm.Parser.parse;
import static dev.slotpool.chicory.LifecycleModules.IMAGE;
import static dev.slotpool.chicory.LifecycleModules.foreignByte;
import static dev.slotpool.chicory.LifecycleModules.image;
import static dev.slotpool.chicory.LifecycleModules.openMemfds;
import static dev.slotpool.testkit.wasm.TestModules.memops;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.WasmModule;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/**
 * The pool's lifecycle against misuse and races: instantiate after and during close, purge during
 * instantiation and while instances are open, calls on closed instances.
 */
class PoolLifecycleTest {

  private static WasmInstancePool smallPool(int slots) {
    return WasmInstancePool.builder().slots(slots).maxMemoryBytes(1 << 20).build();
  }

  @Test
  void instantiate_closedPool_throwsIllegalState_andPlansNothing() {
    var pool = smallPool(2);
    pool.close();
    long before = openMemfds();
    for (int i = 0; i < 50; i++) {
      WasmModule fresh = image(1); // a module never planned: planning would build its image
      assertThatThrownBy(() -> pool.instantiate(fresh))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
    }
    assertThat(openMemfds()).as("no image file built for a closed pool").isEqualTo(before);
    assertThatThrownBy(() -> pool.purge(image(1))).isInstanceOf(IllegalStateException.class);
    pool.close(); // still idempotent
  }

  @Test
  void purge_racingInstantiate_throwsNothing_andEveryInstanceIsPristine() throws Exception {
    WasmModule module = image(1);
    var failures = new ConcurrentLinkedQueue<Throwable>();
    try (var pool = smallPool(4)) {
      var start = new CyclicBarrier(3);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        threads.add(
            new Thread(
                () -> {
                  try {
                    start.await();
                    for (int i = 0; i < 1_500; i++) {
                      try (var pooled = pool.instantiate(module)) {
                        assertThat(foreignByte(pooled.instance(), IMAGE, 16)).isEqualTo(-1);
                        pooled.instance().export("scribble").apply(0, 4096);
                      }
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  }
                }));
      }
      threads.add(
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < 3_000; i++) {
                    pool.purge(module);
                  }
                } catch (Throwable e) {
                  failures.add(e);
                }
              }));
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join();
      }
      assertThat(failures).isEmpty();
      assertThat(pool.stats().inUse()).isZero();
    }
  }

  @Test
  void purge_withAnInstanceOpen_itsSlotComesBackWithoutAffinity_andTheImageFileCloses() {
    try (var pool = smallPool(2)) {
      long before = openMemfds();
      WasmModule module = image(1);
      var open = pool.instantiate(module);
      open.instance().export("scribble").apply(0, 100);
      assertThat(openMemfds()).isEqualTo(before + 1);
      assertThat(pool.purge(module)).as("no warm slot yet").isZero();
      int slot = open.slot();
      open.close();
      assertThat(openMemfds()).as("the purged module's image file").isEqualTo(before);
      try (var next = pool.instantiate(module)) {
        assertThat(next.reusedSlot()).as("purged: planned anew, no affinity").isFalse();
        assertThat(foreignByte(next.instance(), IMAGE, 16)).isEqualTo(-1);
        assertThat(next.slot()).isIn(0, 1);
      }
      assertThat(slot).isIn(0, 1);
    }
  }

  @Test
  void memoryInit_andDataDrop_onAClosedInstance_throwIllegalState() {
    WasmModule module = parse(memops(2, 4, false));
    try (var pool = smallPool(1)) {
      var pooled = pool.instantiate(module);
      var memory = pooled.instance().memory();
      pooled.close();
      assertThatThrownBy(() -> pooled.instance().export("init0").apply(0, 0, 4))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThatThrownBy(() -> memory.initPassiveSegment(0, 0, 0, 4))
          .isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> memory.drop(0)).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> memory.grow(1)).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void close_racingInstantiate_onlyIllegalState_andNothingLeaks() throws Exception {
    long before = openMemfds();
    for (int round = 0; round < 20; round++) {
      WasmModule module = image(1);
      var pool = WasmInstancePool.builder().slots(4).maxMemoryBytes(1 << 20).build();
      var failures = new ConcurrentLinkedQueue<Throwable>();
      var start = new CyclicBarrier(3);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        threads.add(
            new Thread(
                () -> {
                  try {
                    start.await();
                    for (int i = 0; i < 200; i++) {
                      try (var pooled = pool.instantiate(module)) {
                        pooled.instance().export("scribble").apply(0, 4096);
                      } catch (IllegalStateException expected) {
                        // closed before or during the call: the documented outcome
                      }
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  }
                }));
      }
      threads.forEach(Thread::start);
      start.await();
      Thread.onSpinWait();
      try {
        pool.close();
      } catch (IllegalStateException busy) {
        // a lease was in a native call: the pool stays closed to instantiation; retry below
      }
      for (Thread t : threads) {
        t.join();
      }
      pool.close();
      assertThat(failures).isEmpty();
    }
    assertThat(openMemfds()).as("every image file closed with its pool").isEqualTo(before);
  }
}
