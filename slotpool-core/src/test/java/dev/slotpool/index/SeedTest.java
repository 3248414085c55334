package dev.slotpool.index;

import static dev.slotpool.index.AffinityAllocator.NO_SLOT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The six tests of Wasmtime's {@code index_allocator.rs}, ported one for one under their own names
 * and with the same assertions. {@code MemoryInModule} becomes {@link ModuleMemory}; {@code
 * num_empty_slots} becomes {@code emptySlots()}; {@code testing_freelist} and {@code
 * testing_module_affinity_list} become {@code freeList()} and {@code affineKeys()}.
 */
class SeedTest {

  /** A memory of a module, as the seed's {@code MemoryInModule(CompiledModuleId, index)}. */
  record ModuleMemory(int module, int memory) {
    private static int nextModule;

    static synchronized ModuleMemory fresh() {
      return new ModuleMemory(nextModule++, 0);
    }
  }

  @Test
  void test_next_available_allocation_strategy() {
    for (int size = 0; size < 20; size++) {
      AffinityIndexAllocator<ModuleMemory> state = new AffinityIndexAllocator<>(size, 0);
      assertThat(state.emptySlots()).isEqualTo(size);
      for (int i = 0; i < size; i++) {
        assertThat(state.emptySlots()).isEqualTo(size - i);
        assertThat(state.alloc(null)).isEqualTo(i);
      }
      assertThat(state.alloc(null)).isEqualTo(NO_SLOT);
    }
  }

  @Test
  void test_affinity_allocation_strategy() {
    ModuleMemory id1 = ModuleMemory.fresh();
    ModuleMemory id2 = ModuleMemory.fresh();
    AffinityIndexAllocator<ModuleMemory> state = new AffinityIndexAllocator<>(100, 100);

    int index1 = state.alloc(id1);
    assertThat(index1).isEqualTo(0);
    int index2 = state.alloc(id2);
    assertThat(index2).isEqualTo(1);
    assertThat(index1).isNotEqualTo(index2);

    state.free(index1, 0);
    assertThat(state.emptySlots()).isEqualTo(99);

    // Allocate to the same index1 slot again.
    int index3 = state.alloc(id1);
    assertThat(index3).isEqualTo(index1);
    state.free(index3, 0);

    state.free(index2, 0);

    // Both id1 and id2 have some slots with affinity.
    assertThat(state.affineKeys()).hasSize(2).contains(id1, id2);

    // One free slot for id2, one for id1, and 98 cold. Allocate 100 for id2: the first is the
    // one previously used for id2, the next 99 are arbitrary.
    assertThat(state.emptySlots()).isEqualTo(100);
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      int slot = state.alloc(id2);
      assertThat(slot).isNotEqualTo(NO_SLOT);
      indices.add(slot);
    }
    assertThat(state.alloc(null)).isEqualTo(NO_SLOT);
    assertThat(indices.getFirst()).isEqualTo(index2);
    assertThat(state.emptySlots()).isZero();

    for (int i : indices) {
      state.free(i, 0);
    }

    // No slots are left with affinity for id1.
    assertThat(state.affineKeys()).hasSize(1).contains(id2);

    // Allocate for a key that had slots before but has none now (its list ran empty).
    int index = state.alloc(id1);
    assertThat(index).isNotEqualTo(NO_SLOT);
    state.free(index, 0);
  }

  @Test
  void clear_affine() {
    ModuleMemory id = ModuleMemory.fresh();
    for (int maxUnusedWarmSlots : new int[] {0, 1, 2}) {
      AffinityIndexAllocator<ModuleMemory> state =
          new AffinityIndexAllocator<>(100, maxUnusedWarmSlots);

      int index1 = state.alloc(id);
      int index2 = state.alloc(id);
      state.free(index2, 0);
      state.free(index1, 0);
      assertThat(state.allocAffineAndClearAffinity(id)).isNotEqualTo(NO_SLOT);
      assertThat(state.allocAffineAndClearAffinity(id)).isNotEqualTo(NO_SLOT);
      assertThat(state.allocAffineAndClearAffinity(id)).isEqualTo(NO_SLOT);
    }
  }

  @Test
  void test_affinity_allocation_strategy_random() {
    SplittableRandom rng = new SplittableRandom(0x5107_9001L);
    List<ModuleMemory> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(ModuleMemory.fresh());
    }
    AffinityIndexAllocator<ModuleMemory> state = new AffinityIndexAllocator<>(1000, 1000);
    List<Integer> allocated = new ArrayList<>();
    ModuleMemory[] lastId = new ModuleMemory[1000];

    int hits = 0;
    int amt = 100_000;
    for (int n = 0; n < amt; n++) {
      while (true) {
        if (!allocated.isEmpty() && rng.nextBoolean()) {
          int i = rng.nextInt(allocated.size());
          int last = allocated.removeLast();
          int toFree = i < allocated.size() ? allocated.set(i, last) : last;
          state.free(toFree, 0);
        } else {
          ModuleMemory id = ids.get(rng.nextInt(ids.size()));
          int index = state.alloc(id);
          if (index == NO_SLOT) {
            continue;
          }
          if (id.equals(lastId[index])) {
            hits++;
          }
          lastId[index] = id;
          allocated.add(index);
        }
        break;
      }
    }

    // 10% reuse would be random chance (10 module ids); at least double that shows affinity.
    assertThat(hits)
        .as("expected at least 20000 (20%%) id reuses but got %d", hits)
        .isGreaterThan(amt / 5);
  }

  @Test
  void test_affinity_threshold() {
    ModuleMemory id1 = ModuleMemory.fresh();
    ModuleMemory id2 = ModuleMemory.fresh();
    ModuleMemory id3 = ModuleMemory.fresh();
    AffinityIndexAllocator<ModuleMemory> state = new AffinityIndexAllocator<>(10, 2);

    // Set some slot affinities.
    assertThat(state.alloc(id1)).isEqualTo(0);
    state.free(0, 0);
    assertThat(state.alloc(id2)).isEqualTo(1);
    state.free(1, 0);

    // Only 2 slots may be unused and warm, so we are at the threshold and one is evicted.
    assertThat(state.alloc(id3)).isEqualTo(0);
    state.free(0, 0);

    // Pick up id2 again: it is affine.
    assertThat(state.alloc(id2)).isEqualTo(1);

    // With only one warm slot left, allocation for id1 picks a fresh slot.
    assertThat(state.alloc(id1)).isEqualTo(2);

    state.free(1, 0);
    state.free(2, 0);

    // Everything stays affine.
    assertThat(state.alloc(id1)).isEqualTo(2);
    assertThat(state.alloc(id2)).isEqualTo(1);
    assertThat(state.alloc(id3)).isEqualTo(0);

    state.free(1, 0);
    state.free(2, 0);
    state.free(0, 0);

    // The least recently used is 1, so it is picked.
    assertThat(state.alloc(ModuleMemory.fresh())).isEqualTo(1);

    // Then the next least recently used, 2.
    assertThat(state.alloc(ModuleMemory.fresh())).isEqualTo(2);

    // This preserves slot 0 and picks up something new.
    assertThat(state.alloc(ModuleMemory.fresh())).isEqualTo(3);

    state.free(1, 0);
    state.free(2, 0);
    state.free(3, 0);

    // For good measure, id3 is still affine.
    assertThat(state.alloc(id3)).isEqualTo(0);
  }

  @Test
  void test_freelist() {
    SimpleIndexAllocator allocator = new SimpleIndexAllocator(10);
    assertThat(allocator.freeList()).isEmpty();
    int a = allocator.alloc();
    assertThat(allocator.freeList()).isEmpty();
    allocator.free(a, 0);
    assertThat(allocator.freeList()).containsExactly(a);
    assertThat(allocator.alloc()).isEqualTo(a);
    assertThat(allocator.freeList()).isEmpty();
    int b = allocator.alloc();
    assertThat(allocator.freeList()).isEmpty();
    allocator.free(b, 0);
    assertThat(allocator.freeList()).containsExactly(b);
    allocator.free(a, 0);
    assertThat(allocator.freeList()).containsExactly(b, a);
  }
}
