package dev.slotpool.memory.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based test of {@link ResidentBudget}: random sequences of release (reserve, then list),
 * allocate (claim) and purge-like claims against a plain model (a list of warm slots in release
 * order with their bytes), with the invariant checker after every step. It checks that victims are
 * taken coldest first, that the budget is never exceeded, and that the allowance a release gets is
 * exactly what fits.
 */
class ResidentBudgetModelTest {
  private static final long PAGE = Libc.pageSize();

  static long[] seeds() {
    long[] seeds = new long[200];
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = 7000 + i;
    }
    return seeds;
  }

  /** A warm slot in the model. */
  private record Warm(int slot, long bytes) {}

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomSequence_matchesModel(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int slots = 1 + random.nextInt(8);
    long budget = random.nextInt(4) == 0 ? 0 : random.nextLong(20) * PAGE + random.nextLong(PAGE);
    ResidentBudget real = new ResidentBudget(slots, budget);
    Deque<Warm> model = new ArrayDeque<>(); // coldest first
    boolean[] used = new boolean[slots];
    List<Integer> victims = new ArrayList<>();
    long[] resident = new long[slots]; // what the "memory" holds per slot
    for (int step = 0; step < 300; step++) {
      String at = "seed " + seed + " (slots " + slots + ", budget " + budget + ") step " + step;
      int slot = random.nextInt(slots);
      if (used[slot]) {
        // Release: the reset left some pages resident.
        long want = random.nextLong(8) * PAGE;
        victims.clear();
        long allowed =
            real.reserve(
                slot,
                want,
                victim -> {
                  victims.add(victim);
                  long was = resident[victim];
                  resident[victim] = 0;
                  return was;
                });
        // The model: drop the coldest warm slots with bytes until it fits.
        List<Integer> expectedVictims = new ArrayList<>();
        long total = model.stream().mapToLong(Warm::bytes).sum();
        while (total + want > budget && !model.isEmpty()) {
          Warm coldest = model.removeFirst();
          expectedVictims.add(coldest.slot());
          total -= coldest.bytes();
        }
        long expectedAllowed = Math.min(want, Math.max(0, budget - total) & -PAGE);
        assertThat(victims).as(at + " victims, coldest first").isEqualTo(expectedVictims);
        assertThat(allowed).as(at + " allowance").isEqualTo(expectedAllowed);
        long kept = random.nextBoolean() ? allowed : (allowed / PAGE / 2) * PAGE;
        resident[slot] = kept;
        real.list(slot, kept);
        if (kept > 0) {
          model.addLast(new Warm(slot, kept));
        }
        used[slot] = false;
      } else {
        // Allocate (or purge): the new owner claims the slot.
        real.claim(slot);
        model.removeIf(w -> w.slot() == slot);
        resident[slot] = random.nextBoolean() ? resident[slot] : 0;
        used[slot] = true;
      }
      real.checkInvariants();
      int[] listed = real.listed();
      assertThat(listed)
          .as(at + " listed, coldest first")
          .containsExactly(model.stream().mapToInt(Warm::slot).toArray());
      assertThat(real.residentBytes())
          .as(at + " residentBytes")
          .isEqualTo(model.stream().mapToLong(Warm::bytes).sum())
          .isLessThanOrEqualTo(budget);
    }
  }
}
