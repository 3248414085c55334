package dev.slotpool.chicory;

import static dev.slotpool.chicory.LifecycleModules.IMAGE;
import static dev.slotpool.chicory.LifecycleModules.foreignByte;
import static dev.slotpool.chicory.LifecycleModules.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.memory.PoolExhaustedException;
import org.junit.jupiter.api.Test;

/**
 * The leak classes of Wasmtime's pooling-allocator advisories, as tests of this pool: failed
 * instantiations (trapping start, missing import, a second memory exhausted) leave nothing
 * readable; a memory that grew and is reused by a module with a smaller memory allows no access
 * beyond its size (CVE-2026-34988); a 0-page memory (CVE-2022-39392); and an instance dropped
 * without close comes back through leak detection.
 */
class FailurePathTest {
  private static final WasmModule NEXT = image(1);

  /** After a failed instantiation in a one-slot pool: nothing leased, the next user reads clean. */
  private static void assertSlotReturnedClean(WasmInstancePool pool) {
    assertThat(pool.stats().inUse()).isZero();
    try (var next = pool.instantiate(NEXT)) {
      assertThat(foreignByte(next.instance(), IMAGE, 16)).isEqualTo(-1);
    }
  }

  @Test
  void trappingStart_leavesNothingReadable() {
    try (var pool = WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).build()) {
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> pool.instantiate(LifecycleModules.trappingStart()))
            .isInstanceOf(ChicoryException.class)
            .hasMessageContaining("unreachable");
        assertSlotReturnedClean(pool);
      }
    }
  }

  @Test
  void missingImport_leavesNothingReadable_andNoSlotTaken() {
    try (var pool = WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).build()) {
      assertThatThrownBy(() -> pool.instantiate(LifecycleModules.missingImport()))
          .isInstanceOf(RuntimeException.class);
      assertSlotReturnedClean(pool);
    }
  }

  @Test
  void secondMemoryExhausted_returnsTheFirst_leavesNothingReadable() {
    try (var pool = WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).build()) {
      assertThatThrownBy(() -> pool.instantiate(LifecycleModules.twoMemories()))
          .isInstanceOf(PoolExhaustedException.class);
      assertSlotReturnedClean(pool);
    }
  }

  @Test
  void grownMemory_reusedByASmallerOne_noAccessBeyondItsSize() {
    try (var pool = WasmInstancePool.builder().slots(1).maxMemoryBytes(8 << 16).build()) {
      try (var big = pool.instantiate(image(1))) {
        assertThat(big.instance().export("grow").apply(5)[0]).isEqualTo(1);
        big.instance().export("scribble").apply(0, 6 * Memory.PAGE_SIZE);
      }
      try (var small = pool.instantiate(LifecycleModules.zeroPages())) {
        var instance = small.instance();
        assertThat(instance.export("size").apply()[0]).isZero();
        assertThatThrownBy(() -> instance.export("load").apply(0))
            .isInstanceOf(WasmRuntimeException.class)
            .hasMessageContaining("out of bounds");
        assertThatThrownBy(() -> instance.memory().readBytes(0, 1))
            .isInstanceOf(WasmRuntimeException.class);
        assertThat(instance.export("grow").apply(1)[0]).isZero();
        assertThat(foreignByte(instance, null, 0)).as("the grown page").isEqualTo(-1);
        assertThatThrownBy(() -> instance.export("load").apply(Memory.PAGE_SIZE))
            .isInstanceOf(WasmRuntimeException.class);
        assertThat(instance.export("grow").apply(5)[0]).as("past its maximum of 2").isEqualTo(-1);
        assertThatThrownBy(() -> instance.export("load").apply(2 * Memory.PAGE_SIZE))
            .isInstanceOf(WasmRuntimeException.class);
      }
    }
  }

  @Test
  void zeroPageMemory_everyAccessTraps_andGrowingReadsZero() {
    try (var pool = WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).build()) {
      try (var pooled = pool.instantiate(LifecycleModules.zeroPages())) {
        var instance = pooled.instance();
        assertThat(instance.memory().pages()).isZero();
        assertThatThrownBy(() -> instance.export("load").apply(0))
            .isInstanceOf(WasmRuntimeException.class);
        assertThat(instance.export("grow").apply(2)[0]).isZero();
        assertThat(instance.export("load").apply(2 * Memory.PAGE_SIZE - 1)[0]).isZero();
      }
    }
  }

  @Test
  void unclosedUnreachableInstances_theirSlotsComeBack_throughLeakDetection()
      throws InterruptedException {
    for (boolean confined : new boolean[] {true, false}) {
      try (var pool =
          WasmInstancePool.builder()
              .slots(4)
              .maxMemoryBytes(1 << 20)
              .threadConfined(confined)
              .build()) {
        for (int i = 0; i < 3; i++) {
          leak(pool);
        }
        for (int attempt = 0; attempt < 500 && pool.stats().inUse() > 0; attempt++) {
          System.gc();
          Thread.sleep(10);
        }
        assertThat(pool.stats().inUse()).as("confined: %s", confined).isZero();
        assertThat(pool.stats().leakedLeases()).isEqualTo(3);
        for (int i = 0; i < 4; i++) {
          assertSlotReturnedClean(pool);
        }
      }
    }
  }

  /** Instantiates, writes everywhere, and drops the instance without closing it. */
  private static void leak(WasmInstancePool pool) {
    var pooled = pool.instantiate(NEXT);
    pooled.instance().export("scribble").apply(0, Memory.PAGE_SIZE);
  }
}
