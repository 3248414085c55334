package dev.slotpool.cli.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slotpool.cli.input.BadInputException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WorkloadsTest {
  private static final int DRAWS = 200_000;

  private static long[] histogram(Workload w, long steps) {
    long[] counts = new long[w.keys()];
    SplittableRandom random = new SplittableRandom(3);
    for (long i = 0; i < steps; i++) {
      counts[w.nextKey(random, i, steps)]++;
    }
    return counts;
  }

  @Test
  void zipf_drawsKeyKWithWeightOneOverKPlusOneToTheS() {
    long[] counts = histogram(Workloads.generated("zipf", 10, 1.0, 0, 0, 1, 0), DRAWS);
    double harmonic = 0;
    for (int k = 1; k <= 10; k++) {
      harmonic += 1.0 / k;
    }
    for (int k = 0; k < 10; k++) {
      double expected = DRAWS / ((k + 1) * harmonic);
      assertThat((double) counts[k]).as("key " + k).isCloseTo(expected, within(expected));
    }
  }

  private static org.assertj.core.data.Offset<Double> within(double expected) {
    return org.assertj.core.data.Offset.offset(0.05 * expected + 50);
  }

  @Test
  void uniform_drawsEveryKeyAlike() {
    long[] counts = histogram(Workloads.generated("uniform", 8, 0, 0, 0, 1, 0), DRAWS);
    for (long c : counts) {
      assertThat((double) c).isCloseTo(DRAWS / 8.0, within(DRAWS / 8.0));
    }
  }

  @Test
  void hotspot_givesTheHotShareToTheHotKeys() {
    long[] counts = histogram(Workloads.generated("hotspot", 100, 0, 0.1, 0.9, 1, 0), DRAWS);
    long hot = 0;
    for (int k = 0; k < 10; k++) {
      hot += counts[k];
    }
    assertThat((double) hot).isCloseTo(0.9 * DRAWS, within(0.9 * DRAWS));
  }

  @Test
  void phased_changesThePopularKeyBetweenPhases() {
    Workload w = Workloads.generated("phased", 50, 1.5, 0, 0, 2, 9);
    SplittableRandom random = new SplittableRandom(1);
    long[] first = new long[50];
    long[] second = new long[50];
    for (long i = 0; i < DRAWS; i++) {
      (i < DRAWS / 2 ? first : second)[w.nextKey(random, i, DRAWS)]++;
    }
    assertThat(argmax(first)).isNotEqualTo(argmax(second));
  }

  private static int argmax(long[] counts) {
    int best = 0;
    for (int i = 1; i < counts.length; i++) {
      if (counts[i] > counts[best]) {
        best = i;
      }
    }
    return best;
  }

  @Test
  void aliasTable_neverDrawsAZeroWeight() {
    AliasTable table = new AliasTable(new double[] {0, 3, 0, 1});
    SplittableRandom random = new SplittableRandom(5);
    long[] counts = new long[4];
    for (int i = 0; i < DRAWS; i++) {
      counts[table.sample(random)]++;
    }
    assertThat(counts[0]).isZero();
    assertThat(counts[2]).isZero();
    assertThat((double) counts[1]).isCloseTo(0.75 * DRAWS, within(0.75 * DRAWS));
  }

  @Test
  void badParameters_areRejectedWithTheOptionName() {
    assertThatThrownBy(() -> Workloads.generated("zipf", 0, 1, 0, 0, 1, 0))
        .isInstanceOf(BadInputException.class)
        .hasMessage("--keys: 0 (expected: >= 1)");
    assertThatThrownBy(() -> Workloads.generated("hotspot", 5, 1, 0, 0.5, 1, 0))
        .hasMessage("--hot-keys: 0.0 (expected: 0 < x <= 1)");
    assertThatThrownBy(() -> Workloads.generated("phased", 5, 1, 0, 0, 0, 0))
        .hasMessage(
            "--phases: 0 (expected: 1 <= N <= 3355443 with 5 keys, at most 2^24 keys x phases)");
    assertThatThrownBy(() -> new AliasTable(new double[] {0, 0}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("all zero");
  }
}
