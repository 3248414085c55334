package dev.slotpool.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * Model-based tests: random operation sequences, bad calls included, run against the allocators and
 * against {@link ReferenceModel}. Every result, every exception type and every query must agree
 * after every step, and the invariant checker must pass after every step.
 *
 * <p>Each sequence comes from a seed, so a failure names the seed and the shortest failing prefix
 * of its operations, and reruns exactly. (No property-testing library: see the parent pom.)
 */
class AffinityIndexAllocatorModelTest {
  private static final int SEEDS = 600;
  private static final int MAX_OPS = 200;

  /** A key whose hash codes collide on purpose, so the key table's probing and shifting run. */
  record Key(int id) {
    @Override
    public int hashCode() {
      return id & 1;
    }
  }

  sealed interface Op {}

  /** Allocates for {@code new Key(key)}, or for no key if {@code key} is null. */
  record Alloc(Integer key) implements Op {}

  record Clear(int key) implements Op {}

  /** Frees one of the held slots, chosen by {@code pick}. */
  record FreeHeld(int pick, long bytes) implements Op {}

  /** Frees an arbitrary slot, in range or not, used or not: often a bad call. */
  record FreeAny(int slot, long bytes) implements Op {}

  /** One random case: the allocator's shape and the operations to run on it. */
  record Case(long seed, int capacity, int maxUnusedWarmSlots, List<Op> ops) {
    static Case random(long seed) {
      SplittableRandom rnd = new SplittableRandom(seed);
      int capacity = rnd.nextInt(13);
      int maxWarm = rnd.nextInt(15);
      int length = rnd.nextInt(MAX_OPS + 1);
      List<Op> ops = new ArrayList<>(length);
      for (int i = 0; i < length; i++) {
        int dice = rnd.nextInt(19);
        long bytes = rnd.nextInt(4) == 0 ? rnd.nextLong(1 << 20) : 0;
        ops.add(
            dice < 8
                ? new Alloc(rnd.nextInt(5) == 0 ? null : rnd.nextInt(6))
                : dice < 10
                    ? new Clear(rnd.nextInt(6))
                    : dice < 17
                        ? new FreeHeld(rnd.nextInt(100), bytes)
                        : new FreeAny(rnd.nextInt(-2, 17), rnd.nextLong(-3, 1000)));
      }
      return new Case(seed, capacity, maxWarm, ops);
    }

    Case prefix(int n) {
      return new Case(seed, capacity, maxUnusedWarmSlots, ops.subList(0, n));
    }
  }

  @Test
  void affinityAllocator_matchesReferenceModel_onRandomSequences() {
    forEachSeed(AffinityIndexAllocatorModelTest::runAffinity);
  }

  @Test
  void simpleAllocator_matchesReferenceModelWithoutKeys_onRandomSequences() {
    forEachSeed(AffinityIndexAllocatorModelTest::runSimple);
  }

  private static void forEachSeed(java.util.function.Consumer<Case> run) {
    for (long seed = 0; seed < SEEDS; seed++) {
      Case c = Case.random(seed);
      try {
        run.accept(c);
      } catch (AssertionError e) {
        // Report the shortest failing prefix: it is what a person wants to read.
        int n = 0;
        while (n < c.ops().size() && passes(run, c.prefix(n))) {
          n++;
        }
        Case small = c.prefix(n);
        throw new AssertionError("failing case " + small + ": " + e.getMessage(), e);
      }
    }
  }

  private static boolean passes(java.util.function.Consumer<Case> run, Case c) {
    try {
      run.accept(c);
      return true;
    } catch (AssertionError e) {
      return false;
    }
  }

  private static void runAffinity(Case c) {
    AffinityIndexAllocator<Key> real =
        new AffinityIndexAllocator<>(c.capacity(), c.maxUnusedWarmSlots());
    ReferenceModel model = new ReferenceModel(c.capacity(), c.maxUnusedWarmSlots());
    List<Integer> held = new ArrayList<>();
    for (int step = 0; step < c.ops().size(); step++) {
      Op op = c.ops().get(step);
      String at = "step " + step + " (" + op + ")";
      switch (op) {
        case Alloc(Integer k) -> {
          Key key = k == null ? null : new Key(k);
          hold(held, agree(at, () -> real.alloc(key), () -> model.alloc(key)));
        }
        case Clear(int k) ->
            hold(
                held,
                agree(
                    at,
                    () -> real.allocAffineAndClearAffinity(new Key(k)),
                    () -> model.allocAffineAndClearAffinity(new Key(k))));
        case FreeHeld(int pick, long bytes) -> {
          if (!held.isEmpty()) {
            int slot = held.remove(pick % held.size());
            agree(at, () -> free(real, slot, bytes), () -> free(model, slot, bytes));
          }
        }
        case FreeAny(int slot, long bytes) -> {
          if (agree(at, () -> free(real, slot, bytes), () -> free(model, slot, bytes)) == 0) {
            held.remove(Integer.valueOf(slot));
          }
        }
      }
      real.checkInvariants();
      assertThat(real.stats()).as("stats after %s", at).isEqualTo(model.stats());
      assertThat(real.warmSlots()).as("warm list after %s", at).isEqualTo(model.warmSlots());
      assertThat(real.affineKeys()).as("affine keys after %s", at).isEqualTo(model.affineKeys());
      assertThat(real.isEmpty()).as("isEmpty after %s", at).isEqualTo(held.isEmpty());
      assertThat(real.unusedWarmSlots()).isEqualTo(model.stats().unusedWarmSlots());
      assertThat(real.unusedBytesResident()).isEqualTo(model.stats().unusedBytesResident());
    }
  }

  private static void runSimple(Case c) {
    SimpleIndexAllocator real = new SimpleIndexAllocator(c.capacity());
    ReferenceModel model = new ReferenceModel(c.capacity(), 0);
    List<Integer> held = new ArrayList<>();
    for (int step = 0; step < c.ops().size(); step++) {
      Op op = c.ops().get(step);
      String at = "step " + step + " (" + op + ")";
      switch (op) {
        case Alloc a -> hold(held, agree(at, real::alloc, () -> model.alloc(null)));
        case Clear cl -> {}
        case FreeHeld(int pick, long bytes) -> {
          if (!held.isEmpty()) {
            int slot = held.remove(pick % held.size());
            agree(at, () -> free(real, slot, bytes), () -> free(model, slot, bytes));
          }
        }
        case FreeAny(int slot, long bytes) -> {
          if (agree(at, () -> free(real, slot, bytes), () -> free(model, slot, bytes)) == 0) {
            held.remove(Integer.valueOf(slot));
          }
        }
      }
      real.checkInvariants();
      assertThat(real.stats()).as("stats after %s", at).isEqualTo(model.stats());
      assertThat(real.freeList()).as("free list after %s", at).isEqualTo(model.warmSlots());
    }
  }

  private static void hold(List<Integer> held, int slot) {
    if (slot >= 0) {
      held.add(slot);
    }
  }

  private static int free(AffinityIndexAllocator<?> a, int slot, long bytes) {
    a.free(slot, bytes);
    return 0;
  }

  private static int free(SimpleIndexAllocator a, int slot, long bytes) {
    a.free(slot, bytes);
    return 0;
  }

  private static int free(ReferenceModel m, int slot, long bytes) {
    m.free(slot, bytes);
    return 0;
  }

  /**
   * Runs one operation on both sides: they must return the same value or throw the same exception
   * type. Returns the result, or -2 if both threw.
   */
  private static int agree(String at, IntSupplier real, IntSupplier model) {
    Object expected = outcome(model);
    Object actual = outcome(real);
    assertThat(actual).as("outcome of %s", at).isEqualTo(expected);
    return actual instanceof Integer result ? result : -2;
  }

  private static Object outcome(IntSupplier call) {
    try {
      return call.getAsInt();
    } catch (RuntimeException e) {
      return e.getClass();
    }
  }
}
