package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class MemoryImageTest {

  @Test
  void sparseImage_holdsPiecesAtOffsets_zeroElsewhere() {
    try (MemoryImage image =
            MemoryImage.builder()
                .put(10, new byte[] {1, 2})
                .put(3 * PAGE - 1, new byte[] {3, 4, 5})
                .put(11, new byte[] {9})
                .byteSize(5 * PAGE)
                .build();
        MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(8 * PAGE).build();
        PooledMemory memory = pool.allocate("k", image, 6 * PAGE)) {
      assertThat(image.byteSize()).isEqualTo(5 * PAGE);
      byte[] expected = new byte[(int) (6 * PAGE)];
      expected[10] = 1;
      expected[11] = 9;
      expected[(int) (3 * PAGE - 1)] = 3;
      expected[(int) (3 * PAGE)] = 4;
      expected[(int) (3 * PAGE + 1)] = 5;
      assertThat(memory.segment().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(expected);
    }
  }

  @Test
  void imageFromSegment_copiesTheBytes() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment source = arena.allocate(1000);
      source.fill((byte) 7);
      MemoryImage image = MemoryImage.of(source);
      source.fill((byte) 0);
      try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).build();
          PooledMemory memory = pool.allocate(null, image, 1000)) {
        assertThat(memory.segment().toArray(ValueLayout.JAVA_BYTE)).containsOnly(7);
      }
      image.close();
      assertThat(image.isReleased()).isTrue();
    }
  }

  @Test
  void closedImage_cannotBeAllocated_butSlotsHoldingItStillReset() {
    byte[] bytes = Contents.image((int) (2 * PAGE), 9);
    try (MemoryPool pool =
        MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).keepResidentBytes(PAGE).build()) {
      MemoryImage image = MemoryImage.of(bytes);
      PooledMemory memory = pool.allocate("k", image, 2 * PAGE);
      image.close();
      image.close();
      assertThat(image.isClosed()).isTrue();
      try (MemoryPool other = MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).build()) {
        assertThatThrownBy(() -> other.allocate("k", image, 2 * PAGE))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("is closed");
        assertThat(other.stats().inUse()).isZero();
      }
      memory.segment().fill((byte) 0);
      memory.close(); // the reset copies the first page back from the closed image
      assertThat(image.isReleased()).isFalse();
      try (PooledMemory next = pool.allocate("other", null, 2 * PAGE)) {
        Contents.assertPristine(next.segment(), null, "after a closed image");
      }
      assertThat(image.isReleased()).isTrue();
    }
  }

  @Test
  void emptyImage_isAllowed() {
    try (MemoryImage image = MemoryImage.of(new byte[0]);
        MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).build();
        PooledMemory memory = pool.allocate("k", image, PAGE)) {
      assertThat(image.byteSize()).isZero();
      Contents.assertPristine(memory.segment(), null, "empty image");
    }
  }

  @Test
  void builder_rejectsNegativeOffsetAndSize() {
    assertThatThrownBy(() -> MemoryImage.builder().put(-1, new byte[1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("offset: -1 (expected: >= 0)");
    assertThatThrownBy(() -> MemoryImage.builder().byteSize(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("byteSize: -5 (expected: >= 0)");
  }
}
