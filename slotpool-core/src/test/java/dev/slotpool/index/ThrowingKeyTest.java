package dev.slotpool.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keys whose {@code equals} or {@code hashCode} throw (a ClassCastException on a foreign type, a
 * key that breaks once it is in the allocator) never cost a slot and never corrupt the allocator: a
 * throwing call changes nothing, a free always frees, and every later call works.
 */
class ThrowingKeyTest {

  /** A key equal to other Bombs with the same id; its methods throw once armed. */
  static final class Bomb {
    final int id;
    boolean armEquals;
    boolean armHashCode;

    Bomb(int id) {
      this.id = id;
    }

    @Override
    public boolean equals(Object o) {
      if (armEquals) {
        throw new ClassCastException("Bomb.equals: " + o);
      }
      return o instanceof Bomb b && b.id == id;
    }

    @Override
    public int hashCode() {
      if (armHashCode) {
        throw new IllegalStateException("Bomb.hashCode");
      }
      return 42; // every Bomb collides with every other, and with Integer 42
    }

    @Override
    public String toString() {
      return "Bomb" + id;
    }
  }

  private interface Subject {
    int alloc(Object key);

    void free(int slot);

    void check();

    AllocatorStats stats();
  }

  private static Subject exact(int capacity) {
    AffinityIndexAllocator<Object> a = new AffinityIndexAllocator<>(capacity, capacity);
    return new Subject() {
      public int alloc(Object key) {
        return a.alloc(key);
      }

      public void free(int slot) {
        a.free(slot, 1);
      }

      public void check() {
        a.checkInvariants();
      }

      public AllocatorStats stats() {
        return a.stats();
      }
    };
  }

  private static Subject sharded(int capacity) {
    ShardedAffinityIndexAllocator<Object> a =
        new ShardedAffinityIndexAllocator<>(capacity, capacity, 2);
    return new Subject() {
      public int alloc(Object key) {
        return a.alloc(key);
      }

      public void free(int slot) {
        a.free(slot, 1);
      }

      public void check() {
        a.checkInvariants();
      }

      public AllocatorStats stats() {
        return a.stats();
      }
    };
  }

  private static IntFunction<Subject> subject(String which) {
    return which.equals("exact") ? ThrowingKeyTest::exact : ThrowingKeyTest::sharded;
  }

  @ParameterizedTest
  @ValueSource(strings = {"exact", "sharded"})
  void alloc_whoseEqualsThrows_changesNothing(String which) {
    Subject a = subject(which).apply(4);
    int warm = a.alloc(new Bomb(1));
    a.free(warm);
    AllocatorStats before = a.stats();
    Bomb bomb = new Bomb(2);
    bomb.armEquals = true;
    assertThatThrownBy(() -> a.alloc(bomb)).isInstanceOf(ClassCastException.class);
    assertThat(a.stats()).isEqualTo(before);
    a.check();
    assertThat(a.alloc(new Bomb(1))).as("the warm slot is still affine").isEqualTo(warm);
  }

  @ParameterizedTest
  @ValueSource(strings = {"exact", "sharded"})
  void free_whoseKeyThrowsAfterAlloc_freesTheSlotAndKeepsTheAllocatorWorking(String which) {
    Subject a = subject(which).apply(3);
    int other = a.alloc(new Bomb(1));
    a.free(other); // Bomb1 is in the key table: Bomb2's equals is called against it
    Bomb bomb = new Bomb(2);
    int slot = a.alloc(bomb);
    bomb.armEquals = true;
    bomb.armHashCode = true;
    a.free(slot); // must not throw, must not lose the slot
    a.check();
    assertThat(a.stats().inUse()).isZero();
    assertThat(a.stats().unusedWarmSlots()).isEqualTo(2);
    // Every slot is still usable, including by eviction of the bomb's slot.
    List<Integer> taken = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int s = a.alloc(i);
      assertThat(s).isNotEqualTo(AffinityAllocator.NO_SLOT);
      taken.add(s);
      a.check();
    }
    assertThat(taken).containsExactlyInAnyOrder(0, 1, 2);
    for (int s : taken) {
      a.free(s);
    }
    a.check();
  }

  @ParameterizedTest
  @ValueSource(strings = {"exact", "sharded"})
  void randomMixOfThrowingKeys_neverLosesASlot(String which) {
    SplittableRandom random = new SplittableRandom(7);
    Subject a = subject(which).apply(5);
    List<Integer> held = new ArrayList<>();
    List<Bomb> keys = new ArrayList<>();
    for (int step = 0; step < 5_000; step++) {
      if (held.size() < 5 && random.nextBoolean()) {
        Bomb key = new Bomb(random.nextInt(4));
        key.armEquals = random.nextInt(8) == 0;
        key.armHashCode = random.nextInt(8) == 0;
        try {
          int s = a.alloc(key);
          held.add(s);
          keys.add(key);
          key.armEquals = random.nextInt(4) == 0; // may break while in the allocator
          key.armHashCode = random.nextInt(4) == 0;
        } catch (RuntimeException expected) {
          assertThat(key.armEquals || key.armHashCode).as("step %d", step).isTrue();
        }
      } else if (!held.isEmpty()) {
        int i = random.nextInt(held.size());
        a.free(held.remove(i));
        keys.remove(i);
      }
      a.check();
      assertThat(a.stats().inUse()).as("step %d", step).isEqualTo(held.size());
    }
  }
}
