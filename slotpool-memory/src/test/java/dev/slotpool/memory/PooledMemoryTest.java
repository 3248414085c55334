package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class PooledMemoryTest {

  private static MemoryPool pool() {
    return MemoryPool.builder().slots(2).maxMemoryBytes(16 * PAGE).guardBytes(PAGE).build();
  }

  @Test
  void closedLease_segmentAccessThrows_andSegmentGetterThrows() {
    try (MemoryPool pool = pool()) {
      PooledMemory memory = pool.allocate("k", null, 4 * PAGE);
      MemorySegment before = memory.segment();
      before.set(ValueLayout.JAVA_INT, 0, 42);
      MemorySegment grown = memory.grow(8 * PAGE);
      memory.close();

      assertThat(memory.isClosed()).isTrue();
      assertThatThrownBy(() -> before.get(ValueLayout.JAVA_INT, 0))
          .isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> grown.set(ValueLayout.JAVA_BYTE, 5 * PAGE, (byte) 1))
          .isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(memory::segment)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("slot 0 is closed");
      assertThatThrownBy(() -> memory.grow(9 * PAGE)).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void closedLease_accessFromAnotherThreadThrows() throws Exception {
    try (MemoryPool pool = pool()) {
      PooledMemory memory = pool.allocate("k", null, PAGE);
      MemorySegment segment = memory.segment();
      memory.close();
      CompletableFuture<Byte> read =
          CompletableFuture.supplyAsync(() -> segment.get(ValueLayout.JAVA_BYTE, 0));
      assertThatThrownBy(read::get)
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void closeTwice_isHarmless_andReturnsTheSlotOnce() {
    try (MemoryPool pool = pool()) {
      PooledMemory memory = pool.allocate("k", null, PAGE);
      memory.close();
      memory.close();
      assertThat(pool.stats().inUse()).isZero();
      assertThat(pool.stats().unusedWarmSlots()).isEqualTo(1);
      PooledMemory a = pool.allocate("a", null, PAGE);
      PooledMemory b = pool.allocate("b", null, PAGE);
      assertThat(a.slot()).isNotEqualTo(b.slot());
      memory.close();
      assertThat(pool.stats().inUse()).isEqualTo(2);
    }
  }

  @Test
  void grow_isInPlace_keepsContents_andOldSegmentStaysValidWithOldSize() {
    try (MemoryPool pool = pool()) {
      PooledMemory memory = pool.allocate("k", null, PAGE + 10);
      MemorySegment small = memory.segment();
      small.set(ValueLayout.JAVA_LONG, 8, 0x1122334455667788L);
      MemorySegment big = memory.grow(10 * PAGE);
      assertThat(big.address()).isEqualTo(small.address());
      assertThat(memory.segment()).isEqualTo(big);
      assertThat(memory.byteSize()).isEqualTo(10 * PAGE);
      assertThat(big.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(0x1122334455667788L);
      assertThat(small.byteSize()).isEqualTo(PAGE + 10);
      big.set(ValueLayout.JAVA_BYTE, 10 * PAGE - 1, (byte) 9);
      memory.close();
    }
  }

  @Test
  void grow_outOfRange_throwsAndChangesNothing() {
    try (MemoryPool pool = pool()) {
      PooledMemory memory = pool.allocate("k", null, 2 * PAGE);
      assertThatThrownBy(() -> memory.grow(PAGE))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("newBytes: " + PAGE);
      assertThatThrownBy(() -> memory.grow(16 * PAGE + 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("maxMemoryBytes " + 16 * PAGE);
      assertThat(memory.byteSize()).isEqualTo(2 * PAGE);
      memory.close();
    }
  }

  @Test
  void poolClose_invalidatesOpenLeases_andLaterLeaseCloseIsHarmless() {
    MemoryPool pool = pool();
    PooledMemory memory = pool.allocate("k", null, PAGE);
    MemorySegment segment = memory.segment();
    pool.close();
    assertThatThrownBy(() -> segment.get(ValueLayout.JAVA_BYTE, 0))
        .isInstanceOf(IllegalStateException.class);
    memory.close();
    pool.close();
    assertThatThrownBy(() -> pool.allocate("k", null, PAGE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void accessors_describeTheLease() {
    try (MemoryPool pool = pool();
        MemoryImage image = MemoryImage.of(new byte[] {1, 2, 3})) {
      try (PooledMemory memory = pool.allocate("key", image, 3)) {
        assertThat(memory.key()).isEqualTo("key");
        assertThat(memory.image()).isSameAs(image);
        assertThat(memory.maxByteSize()).isEqualTo(16 * PAGE);
        assertThat(memory.byteSize()).isEqualTo(3);
        assertThat(memory.reused()).isFalse();
        assertThat(memory.segment().toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3);
      }
    }
  }

  @Test
  void threadConfinedLease_isUsableOnItsThreadOnly_andKeepsThePoolMappedAfterCloseElsewhere()
      throws Exception {
    MemoryPool pool =
        MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).threadConfined(true).build();
    PooledMemory memory = pool.allocate("k", null, PAGE);
    MemorySegment segment = memory.segment();
    segment.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
    CompletableFuture<Byte> read =
        CompletableFuture.supplyAsync(() -> segment.get(ValueLayout.JAVA_BYTE, 0));
    assertThatThrownBy(read::get).hasCauseInstanceOf(WrongThreadException.class);
    CompletableFuture.runAsync(pool::close).get(); // cannot close this thread's arena: defers
    assertThatThrownBy(() -> pool.allocate("k", null, PAGE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThat(pool.isTerminated()).as("a live segment keeps the reservation").isFalse();
    assertThat(segment.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1); // still mapped
    memory.grow(2 * PAGE).set(ValueLayout.JAVA_BYTE, PAGE, (byte) 2); // and still its owner's
    memory.close();
    assertThatThrownBy(() -> segment.get(ValueLayout.JAVA_BYTE, 0))
        .isInstanceOf(IllegalStateException.class);
    assertThat(pool.isTerminated()).as("the last lease's close unmaps").isTrue();
    pool.close();
  }

  @Test
  void poolCloseElsewhere_invalidatesItsOwnThreadsLeases_andUnmapsAfterTheLastOtherLease()
      throws Exception {
    MemoryPool pool =
        MemoryPool.builder().slots(2).maxMemoryBytes(4 * PAGE).threadConfined(true).build();
    PooledMemory busy = pool.allocate("busy", null, PAGE); // confined to this thread
    CompletableFuture<Void> closeElsewhere =
        CompletableFuture.runAsync(
            () -> {
              PooledMemory mine = pool.allocate("mine", null, PAGE);
              MemorySegment segment = mine.segment();
              pool.close();
              assertThat(mine.isClosed())
                  .as("invalidated: confined to the closing thread")
                  .isTrue();
              assertThatThrownBy(() -> segment.get(ValueLayout.JAVA_BYTE, 0))
                  .isInstanceOf(IllegalStateException.class);
            });
    closeElsewhere.get();
    assertThat(pool.isTerminated()).isFalse();
    busy.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
    busy.close();
    assertThat(pool.isTerminated()).isTrue();
    assertThatThrownBy(() -> pool.allocate("mine", null, PAGE))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void segment_keepsItsPoolReachable_soTheCleanerNeverUnmapsUnderIt() throws Exception {
    MemorySegment segment = leakedSegment();
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(20);
    }
    segment.fill((byte) 3); // would crash the JVM if the reservation had been unmapped
    assertThat(segment.get(ValueLayout.JAVA_BYTE, PAGE - 1)).isEqualTo((byte) 3);
  }

  private static MemorySegment leakedSegment() {
    return MemoryPool.builder()
        .slots(1)
        .maxMemoryBytes(PAGE)
        .build()
        .allocate("k", null, PAGE)
        .segment();
  }
}
