package dev.slotpool.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ShardedAffinityIndexAllocatorTest {

  // ---- construction ----

  @Test
  void constructor_badArguments_throwWithTheValueAndTheExpectation() {
    assertThatThrownBy(() -> new ShardedAffinityIndexAllocator<String>(-1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("capacity: -1 (expected: 0 <= capacity <= 268435456)");
    assertThatThrownBy(() -> new ShardedAffinityIndexAllocator<String>(1 + (1 << 28), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("capacity: 268435457 (expected: 0 <= capacity <= 268435456)");
    assertThatThrownBy(() -> new ShardedAffinityIndexAllocator<String>(4, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxUnusedWarmSlots: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new ShardedAffinityIndexAllocator<String>(4, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("shards: 0 (expected: 1 <= shards <= 1024)");
    assertThatThrownBy(() -> new ShardedAffinityIndexAllocator<String>(4, 0, 1025))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("shards: 1025 (expected: 1 <= shards <= 1024)");
  }

  @Test
  void constructor_twoArguments_usesDefaultShards() {
    var a = new ShardedAffinityIndexAllocator<String>(10, 3);
    assertThat(a.shards()).isEqualTo(ShardedAffinityIndexAllocator.defaultShards());
    assertThat(a.capacity()).isEqualTo(10);
    assertThat(a.maxUnusedWarmSlots()).isEqualTo(3);
    assertThat(a.isEmpty()).isTrue();
    assertThat(a.toString())
        .isEqualTo(
            "ShardedAffinityIndexAllocator[capacity=10, maxUnusedWarmSlots=3, shards="
                + a.shards()
                + ", inUse=0, unusedWarmSlots=0]");
  }

  // ---- behaviour that needs keys in different stripes ----

  @Test
  void alloc_affineSlotInAnotherStripeThanTheCaller_isFoundFirst() {
    var a = new ShardedAffinityIndexAllocator<Integer>(8, 8, 8);
    int[] slots = new int[8];
    for (int k = 0; k < 8; k++) {
      slots[k] = a.alloc(k);
    }
    for (int k = 0; k < 8; k++) {
      a.free(slots[k], 10);
    }
    for (int k = 7; k >= 0; k--) {
      assertThat(a.alloc(k)).isEqualTo(slots[k]);
    }
    AllocatorStats s = a.stats();
    assertThat(s.affinityHits()).isEqualTo(8);
    assertThat(s.unusedBytesResident()).isZero();
    a.checkInvariants();
  }

  @Test
  void alloc_evictionAcrossStripes_takesTheLeastRecentlyFreedSlot() {
    var a = new ShardedAffinityIndexAllocator<Integer>(6, 0, 4);
    int[] slots = new int[6];
    for (int k = 0; k < 6; k++) {
      slots[k] = a.alloc(k);
    }
    int[] freeOrder = {3, 0, 5, 1, 4, 2};
    for (int k : freeOrder) {
      a.free(slots[k], k);
    }
    for (int k : freeOrder) {
      assertThat(a.alloc(100 + k)).isEqualTo(slots[k]);
      a.checkInvariants();
    }
    assertThat(a.stats().warmEvictions()).isEqualTo(6);
    assertThat(a.alloc(7)).isEqualTo(AffinityAllocator.NO_SLOT);
    assertThat(a.stats().failedAllocations()).isEqualTo(1);
  }

  @Test
  void free_residentPastOneStripesShareOfTheLimit_isCheckedAgainstTheTrueTotal() {
    var a = new ShardedAffinityIndexAllocator<Integer>(4, 4, 4);
    int s0 = a.alloc(1);
    int s1 = a.alloc(2);
    int s2 = a.alloc(3);
    long big = Long.MAX_VALUE / 2;
    a.free(s0, big);
    a.free(s1, big);
    assertThatThrownBy(() -> a.free(s2, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "bytesResident: 2 (expected: a total resident below 2^63, is " + (2 * big) + ")");
    a.free(s2, 1);
    assertThat(a.unusedBytesResident()).isEqualTo(Long.MAX_VALUE);
    a.checkInvariants();
    assertThat(a.alloc(1)).isEqualTo(s0);
    assertThat(a.alloc(2)).isEqualTo(s1);
    assertThat(a.unusedBytesResident()).isEqualTo(1);
    // Every stripe is back under its bound, so frees take the fast path again.
    a.free(s0, 5);
    assertThat(a.unusedBytesResident()).isEqualTo(6);
    a.checkInvariants();
  }

  @Test
  void free_manyKeysInOneStripe_growsItsKeyTable() {
    var a = new ShardedAffinityIndexAllocator<Integer>(200, 200, 1);
    for (int k = 0; k < 200; k++) {
      assertThat(a.alloc(k)).isEqualTo(k);
    }
    for (int k = 0; k < 200; k++) {
      a.free(k, 1);
    }
    a.checkInvariants();
    assertThat(a.affineKeys()).hasSize(200);
    for (int k = 199; k >= 0; k--) {
      assertThat(a.alloc(k)).isEqualTo(k);
    }
    assertThat(a.stats().affinityHits()).isEqualTo(200);
  }

  // ---- single-threaded equivalence with the exact allocator ----

  private static final int SEEDS = 400;
  private static final int MAX_OPS = 300;

  /**
   * Random sequences (seeded, so a failure names its seed and reruns exactly; no property-testing
   * library, see the parent pom) run on a sharded and an exact allocator side by side: every
   * result, every exception and message, the statistics, the warm order and the affine keys must
   * agree after every step, and the sharded allocator's invariants must hold.
   */
  @Test
  void singleThread_randomSequences_matchTheExactAllocatorStepByStep() {
    for (long seed = 0; seed < SEEDS; seed++) {
      runEquivalence(seed);
    }
  }

  private static void runEquivalence(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int capacity = rnd.nextInt(17);
    int maxWarm = rnd.nextInt(18);
    int shards = 1 + rnd.nextInt(9);
    var exact = new AffinityIndexAllocator<Integer>(capacity, maxWarm);
    var sharded = new ShardedAffinityIndexAllocator<Integer>(capacity, maxWarm, shards);
    List<Integer> held = new ArrayList<>();
    int length = rnd.nextInt(MAX_OPS + 1);
    for (int step = 0; step < length; step++) {
      int dice = rnd.nextInt(20);
      Integer key = rnd.nextInt(6) == 0 ? null : rnd.nextInt(10);
      long bytes = bytes(rnd);
      String op;
      Object expected;
      Object actual;
      if (dice < 8) {
        op = "alloc(" + key + ")";
        expected = call(() -> exact.alloc(key));
        actual = call(() -> sharded.alloc(key));
      } else if (dice < 10) {
        int k = key == null ? 1 : key;
        op = "allocAffineAndClearAffinity(" + k + ")";
        expected = call(() -> exact.allocAffineAndClearAffinity(k));
        actual = call(() -> sharded.allocAffineAndClearAffinity(k));
      } else {
        int slot =
            dice < 17 && !held.isEmpty()
                ? held.get(rnd.nextInt(held.size()))
                : rnd.nextInt(-1, capacity + 2);
        op = "free(" + slot + ", " + bytes + ")";
        expected = call(() -> free(exact, slot, bytes));
        actual = call(() -> free(sharded, slot, bytes));
        if ("freed".equals(expected)) {
          held.remove(Integer.valueOf(slot));
        }
      }
      if (expected instanceof Integer slot && slot >= 0) {
        held.add(slot);
      }
      String at =
          "seed %d (capacity %d, maxWarm %d, shards %d), step %d: %s"
              .formatted(seed, capacity, maxWarm, shards, step, op);
      assertThat(actual).as(at).isEqualTo(expected);
      sharded.checkInvariants();
      assertThat(sharded.stats()).as(at).isEqualTo(exact.stats());
      assertThat(sharded.warmSlots()).as(at).isEqualTo(exact.warmSlots());
      assertThat(sharded.affineKeys()).as(at).isEqualTo(exact.affineKeys());
      assertThat(sharded.isEmpty()).as(at).isEqualTo(exact.isEmpty());
      assertThat(sharded.unusedBytesResident()).as(at).isEqualTo(exact.unusedBytesResident());
    }
  }

  /** Mostly small sizes, sometimes a bad or a huge one that trips the 2^63 total check. */
  private static long bytes(SplittableRandom rnd) {
    return switch (rnd.nextInt(12)) {
      case 0 -> -1 - rnd.nextInt(3);
      case 1 -> Long.MAX_VALUE / (1 + rnd.nextInt(4));
      case 2 -> Long.MAX_VALUE - rnd.nextInt(3);
      default -> rnd.nextLong(1 << 20);
    };
  }

  private static String free(AffinityAllocator<Integer> a, int slot, long bytes) {
    a.free(slot, bytes);
    return "freed";
  }

  /** The call's result, or its exception's type and message. */
  private static Object call(Supplier<Object> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }
}
