package dev.slotpool.index;

import static dev.slotpool.index.AffinityAllocator.NO_SLOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class AffinityIndexAllocatorTest {

  @Test
  void alloc_warmBelowThreshold_prefersColdSlot() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(4, 2);
    a.free(a.alloc("a"), 0);
    assertThat(a.alloc("b")).as("one warm slot < threshold 2: take a cold one").isEqualTo(1);
  }

  @Test
  void alloc_warmAtThreshold_evictsLeastRecentlyFreed() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(4, 2);
    int s0 = a.alloc("a");
    int s1 = a.alloc("b");
    a.free(s1, 0);
    a.free(s0, 0);
    assertThat(a.alloc("c")).as("2 warm = threshold: evict the LRU, slot 1").isEqualTo(s1);
    assertThat(a.stats().warmEvictions()).isEqualTo(1);
  }

  @Test
  void alloc_noColdLeft_belowThreshold_evictsWarm() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(1, 5);
    a.free(a.alloc("a"), 0);
    assertThat(a.alloc("b")).isZero();
    assertThat(a.alloc("a")).isEqualTo(NO_SLOT);
  }

  @Test
  void alloc_sameKey_takesMostRecentlyFreedOfItsSlots() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(4, 4);
    int s0 = a.alloc("k");
    int s1 = a.alloc("k");
    a.free(s0, 0);
    a.free(s1, 0);
    assertThat(a.alloc("k")).isEqualTo(s1);
    assertThat(a.alloc("k")).isEqualTo(s0);
  }

  @Test
  void alloc_nullKey_neverHitsAndLeavesNoAffinity() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(2, 2);
    int s = a.alloc(null);
    a.free(s, 0);
    assertThat(a.affineKeys()).isEmpty();
    assertThat(a.alloc("k")).as("a keyless warm slot is not affine to k").isEqualTo(1);
    assertThat(a.stats().affinityHits()).isZero();
  }

  @Test
  void keys_areComparedWithEquals() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(3, 3);
    int s = a.alloc(new String("module"));
    a.free(s, 0);
    assertThat(a.alloc(new String("module"))).isEqualTo(s);
  }

  @Test
  void capacityZero_isLegal_andEveryAllocFails() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(0, 0);
    assertThat(a.alloc("a")).isEqualTo(NO_SLOT);
    assertThat(a.alloc(null)).isEqualTo(NO_SLOT);
    assertThat(a.allocAffineAndClearAffinity("a")).isEqualTo(NO_SLOT);
    assertThat(a.isEmpty()).isTrue();
    assertThat(a.stats().failedAllocations()).isEqualTo(2);
  }

  @Test
  void allocAffineAndClearAffinity_stripsKeySoItsSlotsComeBackUnaffine() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(4, 4);
    int s = a.alloc("m");
    a.free(s, 100);
    assertThat(a.allocAffineAndClearAffinity("m")).isEqualTo(s);
    assertThat(a.unusedBytesResident()).isZero();
    a.free(s, 100);
    assertThat(a.affineKeys()).isEmpty();
    assertThat(a.allocAffineAndClearAffinity("m")).isEqualTo(NO_SLOT);
    assertThat(a.unusedWarmSlots()).isEqualTo(1);
  }

  @Test
  void allocAffineAndClearAffinity_neverTakesColdOrUnrelatedSlots() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(4, 4);
    a.free(a.alloc("other"), 0);
    assertThat(a.allocAffineAndClearAffinity("m")).isEqualTo(NO_SLOT);
    assertThat(a.stats().inUse()).isZero();
  }

  @Test
  void unusedBytesResident_tracksWarmSlotsOnly() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(3, 3);
    int s0 = a.alloc("a");
    int s1 = a.alloc("b");
    a.free(s0, 4096);
    a.free(s1, 8192);
    assertThat(a.unusedBytesResident()).isEqualTo(12288);
    a.alloc("a");
    assertThat(a.unusedBytesResident()).isEqualTo(8192);
  }

  @Test
  void stats_countEverySuccessfulAllocOnceAsHitColdOrEviction() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(2, 1);
    int s0 = a.alloc("a"); // miss, cold
    a.free(s0, 0);
    a.alloc("a"); // hit
    a.alloc("b"); // miss, cold
    a.alloc("c"); // miss, fails
    AllocatorStats s = a.stats();
    assertThat(s).isEqualTo(new AllocatorStats(2, 2, 0, 0, 1, 3, 2, 0, 1));
    assertThat(s.coldSlots()).isZero();
    assertThat(s.affinityHitRate()).isEqualTo(1.0 / 4);
  }

  @Test
  void isEmpty_followsSlotsInUse() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(2, 0);
    assertThat(a.isEmpty()).isTrue();
    int s = a.alloc("a");
    assertThat(a.isEmpty()).isFalse();
    a.free(s, 0);
    assertThat(a.isEmpty()).isTrue();
  }

  // ---- bad input: a clear exception, and nothing changes ----

  @Test
  void constructor_rejectsNegativeCapacity() {
    assertThatThrownBy(() -> new AffinityIndexAllocator<>(-1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("capacity: -1 (expected: 0 <= capacity <= 268435456)");
  }

  @Test
  void constructor_rejectsNegativeThreshold() {
    assertThatThrownBy(() -> new AffinityIndexAllocator<>(1, -3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxUnusedWarmSlots: -3 (expected: >= 0)");
  }

  @Test
  void free_doubleFree_throwsNamingSlotAndState_andChangesNothing() {
    assertRejectedWithoutChange(
        a -> a.free(1, 0),
        IllegalStateException.class,
        "slot 1 is not in use (it is warm): was it freed twice?");
  }

  @Test
  void free_neverAllocated_throwsNamingSlot_andChangesNothing() {
    assertRejectedWithoutChange(
        a -> a.free(5, 0),
        IllegalStateException.class,
        "slot 5 is not in use (it was never allocated)");
  }

  @Test
  void free_slotOutOfRange_throwsIndexOutOfBounds_andChangesNothing() {
    assertRejectedWithoutChange(
        a -> a.free(8, 0), IndexOutOfBoundsException.class, "Index 8 out of bounds for length 8");
    assertRejectedWithoutChange(
        a -> a.free(-1, 0), IndexOutOfBoundsException.class, "Index -1 out of bounds for length 8");
  }

  @Test
  void free_negativeBytes_throwsIllegalArgument_andChangesNothing() {
    assertRejectedWithoutChange(
        a -> a.free(0, -1), IllegalArgumentException.class, "bytesResident: -1 (expected: >= 0)");
  }

  @Test
  void free_totalResidentOverflow_throws_andChangesNothing() {
    assertRejectedWithoutChange(
        a -> a.free(0, Long.MAX_VALUE),
        IllegalArgumentException.class,
        "bytesResident: 9223372036854775807 (expected: a total resident below 2^63, is 300)");
  }

  @Test
  void allocAffineAndClearAffinity_nullKey_throws_andChangesNothing() {
    assertRejectedWithoutChange(
        a -> a.allocAffineAndClearAffinity(null), NullPointerException.class, "key");
  }

  /**
   * Brings two allocators to the same state (slot 0 used for "a", slots 1 and 2 warm, slot 3 used
   * without a key, 300 bytes resident), makes the bad call on one, and checks that it threw as
   * expected and that the two still agree on every query and on a long run of later calls.
   */
  private static void assertRejectedWithoutChange(
      Consumer<AffinityIndexAllocator<String>> badCall,
      Class<? extends RuntimeException> type,
      String message) {
    AffinityIndexAllocator<String> victim = prepared();
    AffinityIndexAllocator<String> twin = prepared();

    assertThatThrownBy(() -> badCall.accept(victim)).isInstanceOf(type).hasMessage(message);

    victim.checkInvariants();
    assertSameState(victim, twin);
    for (String key : new String[] {"b", "a", null, "c", "a", "d", "e", "f", "g"}) {
      int slot = twin.alloc(key);
      assertThat(victim.alloc(key)).isEqualTo(slot);
      if (slot != NO_SLOT && key != null && key.compareTo("c") < 0) {
        victim.free(slot, 7);
        twin.free(slot, 7);
      }
      assertSameState(victim, twin);
    }
  }

  private static AffinityIndexAllocator<String> prepared() {
    AffinityIndexAllocator<String> a = new AffinityIndexAllocator<>(8, 3);
    a.alloc("a");
    int s1 = a.alloc("b");
    int s2 = a.alloc("a");
    a.alloc(null);
    a.free(s1, 100);
    a.free(s2, 200);
    return a;
  }

  private static void assertSameState(
      AffinityIndexAllocator<String> victim, AffinityIndexAllocator<String> twin) {
    assertThat(victim.stats()).isEqualTo(twin.stats());
    assertThat(victim.warmSlots()).isEqualTo(twin.warmSlots());
    assertThat(victim.affineKeys()).isEqualTo(twin.affineKeys());
  }
}
