package dev.slotpool.index;

import static dev.slotpool.index.SimpleIndexAllocator.NO_SLOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SimpleIndexAllocatorTest {

  @Test
  void alloc_handsOutColdSlotsInAscendingOrder() {
    SimpleIndexAllocator a = new SimpleIndexAllocator(3);
    assertThat(new int[] {a.alloc(), a.alloc(), a.alloc(), a.alloc()})
        .containsExactly(0, 1, 2, NO_SLOT);
  }

  @Test
  void alloc_reusesLeastRecentlyFreedBeforeCold() {
    SimpleIndexAllocator a = new SimpleIndexAllocator(5);
    int s0 = a.alloc();
    int s1 = a.alloc();
    a.free(s1, 0);
    a.free(s0, 0);
    assertThat(a.alloc()).isEqualTo(s1);
    assertThat(a.alloc()).isEqualTo(s0);
    assertThat(a.alloc()).isEqualTo(2);
  }

  @Test
  void queries_reportFreeSlotsAndResidentBytes() {
    SimpleIndexAllocator a = new SimpleIndexAllocator(2);
    int s = a.alloc();
    assertThat(a.isEmpty()).isFalse();
    a.free(s, 4096);
    assertThat(a.isEmpty()).isTrue();
    assertThat(a.capacity()).isEqualTo(2);
    assertThat(a.unusedWarmSlots()).isEqualTo(1);
    assertThat(a.unusedBytesResident()).isEqualTo(4096);
  }

  @Test
  void free_doubleFree_throwsAndKeepsFreeList() {
    SimpleIndexAllocator a = new SimpleIndexAllocator(2);
    int s = a.alloc();
    a.free(s, 0);
    assertThatThrownBy(() -> a.free(s, 0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("slot 0 is not in use (it is warm): was it freed twice?");
    assertThat(a.freeList()).containsExactly(s);
    assertThat(a.unusedWarmSlots()).isEqualTo(1);
  }

  @Test
  void constructor_rejectsNegativeCapacity() {
    assertThatThrownBy(() -> new SimpleIndexAllocator(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("capacity: -1 (expected: ");
  }

  @Test
  void freeList_staysFifoWhenItsRingWrapsAround() {
    SimpleIndexAllocator a = new SimpleIndexAllocator(3); // a ring of 4 entries
    java.util.ArrayDeque<Integer> model = new java.util.ArrayDeque<>();
    int s0 = a.alloc();
    int s1 = a.alloc();
    int s2 = a.alloc();
    a.free(s2, 1);
    a.free(s0, 2);
    a.free(s1, 3);
    model.add(s2);
    model.add(s0);
    model.add(s1);
    for (int step = 0; step < 20; step++) {
      int slot = a.alloc();
      assertThat(slot).as("step %d", step).isEqualTo(model.poll());
      a.free(slot, step);
      model.add(slot);
      assertThat(a.freeList()).containsExactlyElementsOf(model);
      a.checkInvariants();
    }
    assertThat(a.unusedBytesResident()).isEqualTo(17 + 18 + 19);
  }
}
