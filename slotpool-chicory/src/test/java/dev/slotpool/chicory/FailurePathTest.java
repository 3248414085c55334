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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The leak classes of Wasmtime's pooling-allocator advisories, as tests of this pool: failed
 * instantiations (trapping start, missing import, a second memory exhausted) leave nothing
 * readable; a memory that grew and is reused by a module with a smaller memory allows no access
 * beyond its size (CVE-2026-34988); a 0-page memory (CVE-2022-39392); a slot switching between a
 * module with an image and one without (CVE-2022-39393); and an instance dropped without close
 * comes back through leak detection. Each isolation case runs on every reset path: adaptive (the
 * default), fixed keep-resident of one page, fixed 0 (decommit), with and without {@code
 * PAGEMAP_SCAN}.
 */
class FailurePathTest {
  private static final WasmModule NEXT = image(1);

  /** A reset path: how the pool is built. */
  record ResetPath(String name, boolean scan, long keep) {
    WasmInstancePool pool(long maxMemoryBytes) {
      // No wait: a test of a second memory finding no slot fails at once.
      var b =
          WasmInstancePool.builder().slots(1).maxMemoryBytes(maxMemoryBytes).maxWait(Duration.ZERO);
      if (keep >= 0) {
        b.keepResidentBytes(keep);
      }
      return b.usePagemapScan(scan).build();
    }

    @Override
    public String toString() {
      return name + (scan ? ", PAGEMAP_SCAN" : ", no scan");
    }
  }

  static Stream<Arguments> resetPaths() {
    List<Arguments> all = new ArrayList<>();
    for (boolean scan : new boolean[] {true, false}) {
      all.add(Arguments.of(new ResetPath("adaptive", scan, -1)));
      all.add(Arguments.of(new ResetPath("fixed keepResident 1 page", scan, Memory.PAGE_SIZE)));
      all.add(Arguments.of(new ResetPath("fixed keepResident 0 (decommit)", scan, 0)));
    }
    return all.stream();
  }

  /** After a failed instantiation in a one-slot pool: nothing leased, the next user reads clean. */
  private static void assertSlotReturnedClean(WasmInstancePool pool) {
    assertThat(pool.stats().inUse()).isZero();
    try (var next = pool.instantiate(NEXT)) {
      assertThat(foreignByte(next.instance(), IMAGE, 16)).isEqualTo(-1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void trappingStart_leavesNothingReadable(ResetPath path) {
    try (var pool = path.pool(1 << 20)) {
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> pool.instantiate(LifecycleModules.trappingStart()))
            .isInstanceOf(ChicoryException.class)
            .hasMessageContaining("unreachable");
        assertSlotReturnedClean(pool);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void missingImport_leavesNothingReadable_andNoSlotTaken(ResetPath path) {
    try (var pool = path.pool(1 << 20)) {
      assertThatThrownBy(() -> pool.instantiate(LifecycleModules.missingImport()))
          .isInstanceOf(RuntimeException.class);
      assertSlotReturnedClean(pool);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void secondMemoryExhausted_returnsTheFirst_leavesNothingReadable(ResetPath path) {
    try (var pool = path.pool(1 << 20)) {
      assertThatThrownBy(() -> pool.instantiate(LifecycleModules.twoMemories()))
          .isInstanceOf(PoolExhaustedException.class);
      assertSlotReturnedClean(pool);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void slotSwitchingBetweenModuleWithImageAndWithout_neverShowsTheOtherBytes(ResetPath path) {
    WasmModule plain = LifecycleModules.plain(2);
    try (var pool = path.pool(4 << 16)) {
      for (int round = 0; round < 3; round++) {
        try (var with = pool.instantiate(NEXT)) {
          assertThat(foreignByte(with.instance(), IMAGE, 16)).as("%s image", path).isEqualTo(-1);
          with.instance().export("scribble").apply(0, Memory.PAGE_SIZE);
        }
        try (var without = pool.instantiate(plain)) {
          assertThat(foreignByte(without.instance(), null, 0)).as("%s none", path).isEqualTo(-1);
          without.instance().export("scribble").apply(0, 2 * Memory.PAGE_SIZE);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void grownMemory_reusedByASmallerOne_noAccessBeyondItsSize(ResetPath path) {
    try (var pool = path.pool(8 << 16)) {
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

  @ParameterizedTest(name = "{0}")
  @MethodSource("resetPaths")
  void zeroPageMemory_everyAccessTraps_andGrowingReadsZero(ResetPath path) {
    try (var pool = path.pool(1 << 20)) {
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
    for (boolean pagemap : new boolean[] {true, false}) {
      try (var pool =
          WasmInstancePool.builder()
              .slots(4)
              .maxMemoryBytes(1 << 20)
              .usePagemapScan(pagemap)
              .build()) {
        for (int i = 0; i < 3; i++) {
          leak(pool);
        }
        for (int attempt = 0; attempt < 500 && pool.stats().inUse() > 0; attempt++) {
          System.gc();
          Thread.sleep(10);
        }
        assertThat(pool.stats().inUse()).as("pagemap: %s", pagemap).isZero();
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
