package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {

  @Test
  void allocate_whenEverySlotIsInUse_throwsNamingCapacityAndInUse() {
    try (MemoryPool pool =
        MemoryPool.builder().slots(2).maxMemoryBytes(4 * PAGE).maxWait(Duration.ZERO).build()) {
      PooledMemory a = pool.allocate("a", null, PAGE);
      PooledMemory b = pool.allocate("b", null, PAGE);
      assertThatThrownBy(() -> pool.allocate("c", null, PAGE))
          .isInstanceOfSatisfying(
              PoolExhaustedException.class,
              e -> {
                assertThat(e.capacity()).isEqualTo(2);
                assertThat(e.inUse()).isEqualTo(2);
              })
          .hasMessageContaining("2 of 2 slots in use");
      assertThat(pool.stats().failedAllocations()).isEqualTo(1);
      a.close();
      assertThat(pool.allocate("c", null, PAGE).slot()).isEqualTo(a.slot());
      b.close();
    }
  }

  @Test
  void allocateWithTimeout_waitsForARelease() throws Exception {
    // Shared leases: the waiter allocates on its own thread, the test closes the lease.
    try (MemoryPool pool =
        MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).threadConfined(false).build()) {
      PooledMemory held = pool.allocate("a", null, PAGE);
      AtomicReference<Thread> waiter = new AtomicReference<>();
      CompletableFuture<PooledMemory> next =
          CompletableFuture.supplyAsync(
              () -> {
                waiter.set(Thread.currentThread());
                try {
                  return pool.allocate("b", null, PAGE, Duration.ofMinutes(1));
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      while (waiter.get() == null || waiter.get().getState() != Thread.State.TIMED_WAITING) {
        Thread.onSpinWait();
      }
      assertThat(next).isNotDone();
      held.close();
      try (PooledMemory memory = next.get()) {
        assertThat(memory.slot()).isZero();
        assertThat(memory.key()).isEqualTo("b");
      }
    }
  }

  @Test
  void allocateWithTimeout_throwsWhenNothingIsReleased() {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).build()) {
      PooledMemory held = pool.allocate("a", null, PAGE);
      assertThatThrownBy(() -> pool.allocate("b", null, PAGE, Duration.ofMillis(1)))
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessageContaining("1 of 1 slots in use")
          .hasMessageContaining("(waited 1 ms, the timeout given)");
      held.close();
    }
  }

  @Test
  void allocate_withoutTimeout_waitsUpToMaxWait_thenThrowsSayingSo() {
    try (MemoryPool pool =
        MemoryPool.builder()
            .slots(1)
            .maxMemoryBytes(4 * PAGE)
            .maxWait(Duration.ofMillis(30))
            .build()) {
      PooledMemory held = pool.allocate("a", null, PAGE);
      PoolStats before = pool.stats();
      assertThatThrownBy(() -> pool.allocate("b", null, PAGE))
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessage(
              "memory pool exhausted: 1 of 1 slots in use (waited 30 ms, maxWait); close each"
                  + " PooledMemory as soon as it is done, raise slots(1), or wait longer:"
                  + " maxWait(Duration) or allocate(..., Duration)");
      PoolStats after = pool.stats();
      assertThat(after.inUse()).isEqualTo(1);
      assertThat(after.waits()).isEqualTo(before.waits() + 1);
      assertThat(after.failedAllocations()).isEqualTo(before.failedAllocations() + 1);
      assertThat(after.waitNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(30).toNanos());
      assertThat(held.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isZero();
      held.close();
      try (PooledMemory next = pool.allocate("a", null, PAGE)) {
        assertThat(next.reused()).as("the failed wait took nothing from the slot").isTrue();
      }
    }
  }

  @Test
  void allocate_withoutTimeout_getsTheSlotAnotherThreadReleases() throws Exception {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).build()) {
      PooledMemory held = pool.allocate("a", null, PAGE);
      CompletableFuture<Integer> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try (PooledMemory lease = pool.allocate("a", null, PAGE)) { // default maxWait
                  return lease.slot();
                }
              });
      while (pool.stats().waits() == 0) { // counted before it blocks
        Thread.onSpinWait();
      }
      held.close();
      assertThat(waiter.get()).isZero();
      PoolStats stats = pool.stats();
      assertThat(stats.waits()).isEqualTo(1);
      assertThat(stats.waitNanos()).isPositive();
      assertThat(stats.failedAllocations()).isZero();
      assertThat(stats.inUse()).isZero();
    }
  }

  @Test
  void allocate_withoutTimeout_interrupted_throwsKeepingTheInterrupt() {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).build()) {
      try (PooledMemory held = pool.allocate("a", null, PAGE)) {
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> pool.allocate("b", null, PAGE))
            .isInstanceOf(PoolExhaustedException.class)
            .hasMessageStartingWith(
                "memory pool exhausted: 1 of 1 slots in use (interrupted while waiting up to 30"
                    + " s, maxWait)")
            .hasCauseInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).as("the interrupt is the caller's to see").isTrue();
        assertThat(pool.stats().inUse()).isEqualTo(1);
        assertThat(held.slot()).isZero();
      }
    }
  }

  @Test
  void allocate_maxWaitZero_failsAtOnceSayingSo() {
    try (MemoryPool pool =
            MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).maxWait(Duration.ZERO).build();
        PooledMemory held = pool.allocate("a", null, PAGE)) {
      assertThatThrownBy(() -> pool.allocate("b", null, PAGE))
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessageContaining("1 of 1 slots in use (no wait, maxWait is 0)");
      assertThat(pool.stats().waits()).isZero();
      assertThat(pool.stats().waitNanos()).isZero();
      assertThat(held.slot()).isZero();
    }
  }

  @Test
  void impossibleReservation_throwsWithErrnoText_andLeavesNothingMapped() throws Exception {
    MemoryPool.Builder impossible =
        MemoryPool.builder()
            .slots(1024)
            .maxMemoryBytes(1L << 40)
            .guardBytes(0); // 1 PiB: more than a 47-bit address space
    assertThatThrownBy(impossible::build)
        .isInstanceOfSatisfying(
            NativeMemoryException.class, e -> assertThat(e.errno()).isEqualTo(12))
        .hasMessageContaining("mmap(")
        .hasMessageContaining("Cannot allocate memory");

    // The JVM maps and opens things of its own at any moment (code cache, GC, threads), so a
    // single before/after count is flaky. A leak of even one mapping or descriptor per failure
    // shows over many failures; the JVM's own noise stays far below that.
    long mappingsBefore = mappings();
    long fdsBefore = openFileDescriptors();
    int attempts = 50;
    for (int i = 0; i < attempts; i++) {
      assertThatThrownBy(impossible::build).isInstanceOf(NativeMemoryException.class);
    }
    assertThat(mappings() - mappingsBefore).isLessThan(attempts / 5);
    assertThat(openFileDescriptors() - fdsBefore).isLessThan(attempts / 5);
  }

  @Test
  void build_rejectsBadSettings_withMessagesNamingThem() {
    assertThatThrownBy(() -> MemoryPool.builder().slots(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("slots: 0 (expected: 1 <= slots");
    assertThatThrownBy(() -> MemoryPool.builder().maxMemoryBytes(PAGE + 1).build())
        .hasMessageStartingWith("maxMemoryBytes: " + (PAGE + 1));
    assertThatThrownBy(() -> MemoryPool.builder().guardBytes(-PAGE).build())
        .hasMessageStartingWith("guardBytes: " + -PAGE);
    assertThatThrownBy(
            () -> MemoryPool.builder().maxMemoryBytes(PAGE).keepResidentBytes(2 * PAGE).build())
        .hasMessageStartingWith("keepResidentBytes: " + 2 * PAGE);
    assertThatThrownBy(() -> MemoryPool.builder().slots(2).decommitBatchSize(3).build())
        .hasMessageStartingWith("decommitBatchSize: 3");
    assertThatThrownBy(() -> MemoryPool.builder().maxUnusedWarmSlots(-2).build())
        .hasMessageStartingWith("maxUnusedWarmSlots: -2");
    assertThatThrownBy(
            () ->
                MemoryPool.builder()
                    .slots(1 << 20)
                    .maxMemoryBytes(Long.MAX_VALUE / 2 & -PAGE)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overflows");
  }

  @Test
  void allocate_rejectsSizesOutOfRange_andKeepsTheSlotFree() {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).build();
        MemoryImage image = MemoryImage.of(new byte[100])) {
      assertThatThrownBy(() -> pool.allocate("k", image, 99))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "initialBytes: 99 (expected: image size 100 <= initialBytes <= maxMemoryBytes "
                  + 4 * PAGE
                  + ")");
      assertThatThrownBy(() -> pool.allocate("k", null, 4 * PAGE + 1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(pool.stats().inUse()).isZero();
      pool.allocate("k", image, 4 * PAGE).close();
    }
  }

  @Test
  void decommitBatch_holdsSlotsUntilFull_andExhaustionFlushesIt() {
    try (MemoryPool pool =
        MemoryPool.builder()
            .slots(3)
            .maxMemoryBytes(8 * PAGE)
            .keepResidentBytes(0)
            .decommitBatchSize(3)
            .build()) {
      PooledMemory a = pool.allocate("a", null, 4 * PAGE);
      PooledMemory b = pool.allocate("b", null, 4 * PAGE);
      PooledMemory c = pool.allocate("c", null, 4 * PAGE);
      a.segment().fill((byte) 1);
      b.segment().fill((byte) 2);
      a.close();
      b.close();
      PoolStats stats = pool.stats();
      assertThat(stats.pendingDecommits()).isEqualTo(2);
      assertThat(stats.inUse()).isEqualTo(1);
      assertThat(stats.decommitBatches()).isZero();
      // Every slot is in use or queued: the allocation flushes the queue and gets a slot.
      try (PooledMemory d = pool.allocate("a", null, 4 * PAGE)) {
        Contents.assertPristine(d.segment(), null, "after a flushed batch");
        assertThat(d.reused()).isTrue();
      }
      stats = pool.stats();
      assertThat(stats.decommitBatches()).isEqualTo(1);
      assertThat(stats.decommits()).isEqualTo(2);
      c.close();
      pool.flushDecommits();
      assertThat(pool.stats().pendingDecommits()).isZero();
      assertThat(pool.stats().unusedWarmSlots()).isEqualTo(3);
    }
  }

  @Test
  void purge_stripsAffinity_andUnmapsTheImage() {
    try (MemoryPool pool = MemoryPool.builder().slots(2).maxMemoryBytes(8 * PAGE).build()) {
      MemoryImage image = MemoryImage.of(Contents.image((int) PAGE, 3));
      pool.allocate("m", image, PAGE).close();
      pool.allocate("other", null, PAGE).close();
      image.close();
      assertThat(image.isReleased()).isFalse(); // a warm slot still maps it
      assertThat(pool.purge("m")).isEqualTo(1);
      assertThat(image.isReleased()).isTrue();
      assertThat(pool.purge("m")).isZero();
      try (PooledMemory memory = pool.allocate("m", null, PAGE)) {
        assertThat(memory.reused()).isFalse();
        Contents.assertPristine(memory.segment(), null, "after purge");
      }
    }
  }

  @Test
  void stats_countHitsMissesColdAndEvictions() {
    try (MemoryPool pool =
        MemoryPool.builder().slots(2).maxUnusedWarmSlots(1).maxMemoryBytes(4 * PAGE).build()) {
      pool.allocate("a", null, PAGE).close(); // cold, miss
      pool.allocate("a", null, PAGE).close(); // hit
      pool.allocate("b", null, PAGE).close(); // miss; one warm slot: evicts a's
      pool.allocate(null, null, PAGE).close(); // evicts b's
      PoolStats stats = pool.stats();
      assertThat(stats.affinityHits()).isEqualTo(1);
      assertThat(stats.affinityMisses()).isEqualTo(2);
      assertThat(stats.coldAllocations()).isEqualTo(1);
      assertThat(stats.evictions()).isEqualTo(2);
      assertThat(stats.inUse()).isZero();
      assertThat(stats.unusedWarmSlots()).isEqualTo(1);
      assertThat(stats.coldSlots()).isEqualTo(1);
      assertThat(stats.affinityHitRate()).isEqualTo(1 / 3.0);
    }
  }

  private static long mappings() throws Exception {
    return Files.readAllLines(Path.of("/proc/self/maps")).size();
  }

  private static long openFileDescriptors() throws Exception {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}
