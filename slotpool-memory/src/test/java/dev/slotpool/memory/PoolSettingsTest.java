package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one list of settings: defaults, ranges, and the builder that makes it. */
class PoolSettingsTest {

  @Test
  void defaults_areSizedForAService() {
    PoolSettings s = MemoryPool.builder().settings();
    assertThat(s.slots()).isEqualTo(1000); // Wasmtime's total_memories
    // Every memory Chicory itself can create (32,767 pages of 64 KiB) fits a default slot.
    assertThat(s.maxMemoryBytes()).isEqualTo(2L << 30).isGreaterThanOrEqualTo(32_767L * 65_536);
    assertThat(s.guardBytes()).isEqualTo(64 << 10);
    assertThat(s.residentMode()).isEqualTo(ResidentMode.ADAPTIVE);
    assertThat(s.keepResidentBytes()).isEqualTo(s.maxMemoryBytes());
    assertThat(s.residentBudgetBytes()).isPositive().isLessThanOrEqualTo(s.reservationBytes());
    assertThat(s.maxUnusedWarmSlots()).isEqualTo(s.slots());
    assertThat(s.decommitBatchSize()).isEqualTo(1);
    assertThat(s.usePagemapScan()).isTrue();
    assertThat(s.threadConfined()).isTrue();
    assertThat(s.recordAllocationSites()).isFalse();
    assertThat(s.maxWait()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void defaultPool_reportsTheSettingsInForce() {
    try (MemoryPool pool = MemoryPool.builder().build()) {
      PoolSettings s = pool.settings();
      assertThat(s).isEqualTo(MemoryPool.builder().settings());
      assertThat(pool.slots()).isEqualTo(s.slots());
      assertThat(pool.maxMemoryBytes()).isEqualTo(s.maxMemoryBytes());
      assertThat(pool.guardBytes()).isEqualTo(s.guardBytes());
      assertThat(pool.keepResidentBytes()).isEqualTo(s.keepResidentBytes());
      assertThat(pool.residentBudgetBytes()).isEqualTo(s.residentBudgetBytes());
      assertThat(pool.stats().slots()).isEqualTo(1000);
    }
  }

  @Test
  void settings_fillInWhatDependsOnOtherSettings() {
    PoolSettings s =
        MemoryPool.builder()
            .slots(4)
            .maxMemoryBytes(8 * PAGE)
            .keepResidentBytes(PAGE + 1)
            .maxWait(Duration.ofMillis(5))
            .settings();
    assertThat(s.residentMode()).isEqualTo(ResidentMode.FIXED);
    assertThat(s.keepResidentBytes()).as("rounded up to a page").isEqualTo(2 * PAGE);
    assertThat(s.residentBudgetBytes()).as("what the slots can keep").isEqualTo(4 * 2 * PAGE);
    assertThat(s.maxUnusedWarmSlots()).isEqualTo(4);
    assertThat(s.maxWait()).isEqualTo(Duration.ofMillis(5));
    assertThat(s.reservationBytes()).isEqualTo(4 * (8 * PAGE + (64 << 10)));
  }

  @Test
  void maxWait_outOfRange_isRejectedBeforeAnythingIsReserved() {
    assertThatThrownBy(() -> MemoryPool.builder().maxWait(Duration.ofSeconds(-1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait: PT-1S (expected: >= 0; Duration.ZERO fails at once)");
    assertThatThrownBy(() -> MemoryPool.builder().maxWait(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("maxWait");
    // Longer than nanoseconds can count: waits without a limit.
    assertThat(MemoryPool.builder().maxWait(Duration.ofDays(365_000_000)).settings().maxWait())
        .isEqualTo(Duration.ofDays(365_000_000));
  }

  @Test
  void record_checksWhatTheBuilderChecks() {
    assertThatThrownBy(
            () ->
                new PoolSettings(
                    4,
                    8 * PAGE,
                    0,
                    ResidentMode.ADAPTIVE,
                    PAGE,
                    0,
                    4,
                    1,
                    true,
                    true,
                    false,
                    Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "keepResidentBytes: "
                + PAGE
                + " (expected: maxMemoryBytes "
                + 8 * PAGE
                + " in the adaptive mode)");
    assertThatThrownBy(
            () ->
                new PoolSettings(
                    0, PAGE, 0, ResidentMode.FIXED, 0, 0, 0, 1, true, true, false, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("slots: 0 (expected: 1 <= slots <= ");
  }

  @Test
  void everyComponent_hasASetterOfTheSameNameAndType() {
    List<String> missing = new ArrayList<>();
    for (RecordComponent c : PoolSettings.class.getRecordComponents()) {
      if (c.getName().equals("residentMode")) {
        continue; // selected by keepResidentBytes(n): FIXED with it, ADAPTIVE without
      }
      try {
        Method setter = MemoryPool.Builder.class.getMethod(c.getName(), c.getType());
        assertThat(Modifier.isPublic(setter.getModifiers())).as(c.getName()).isTrue();
      } catch (NoSuchMethodException e) {
        missing.add(c.getName() + "(" + c.getType().getSimpleName() + ")");
      }
    }
    assertThat(missing).as("PoolSettings components without a builder setter").isEmpty();
    assertThat(Arrays.stream(MemoryPool.Builder.class.getMethods()).map(Method::getName))
        .contains("jmxName", "settings", "build");
  }

  /**
   * A default pool reserves about 2 TiB of address space; x86-64 gives a process 128 TiB. Pools
   * that tests (or services) drop without closing must not make the next build fail while the
   * garbage collector could reclaim them.
   */
  @Test
  void defaultPools_droppedUnclosed_neverExhaustTheAddressSpace() {
    long reservation = MemoryPool.builder().settings().reservationBytes();
    int pools = (int) Math.min(200, 2 * (128L << 40) / reservation + 1); // twice what fits
    for (int i = 0; i < pools; i++) {
      MemoryPool pool = MemoryPool.builder().build(); // dropped: only the cleaner unmaps it
      assertThat(pool.slots()).isEqualTo(1000);
    }
    try (MemoryPool last = MemoryPool.builder().build()) {
      last.allocate("k", null, PAGE).close();
      assertThat(last.stats().coldAllocations()).isEqualTo(1);
    }
  }
}
