package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based test: random sequences of allocate, write, grow, close and purge, bad calls included,
 * on pools of random shape, checked after every step against a plain model of what each open lease
 * must hold and of the slots' last key and image.
 *
 * <p>It checks isolation (a new lease holds exactly its pristine image), that {@code reused()} is
 * true exactly for a warm slot last used with an equal key and the same image, exhaustion, and the
 * stats' slot counts and resident bytes, and at the end that smaps agrees with the stats. Each case
 * comes from a seed that the failure message names, and reruns exactly. (No property-testing
 * library: see the parent pom.)
 */
class PoolModelTest {
  private static final int SEEDS = 150;
  private static final int OPS = 80;
  private static final long MAX = 16 * PAGE;

  private static byte[] bytesA;
  private static byte[] bytesB;
  private static MemoryImage imageA;
  private static MemoryImage imageB;

  @BeforeAll
  static void images() {
    bytesA = Contents.image((int) (3 * PAGE + 5), 11);
    bytesB = new byte[(int) (3 * PAGE)];
    System.arraycopy(Contents.image((int) PAGE, 12), 0, bytesB, (int) (2 * PAGE), (int) PAGE);
    imageA = MemoryImage.of(bytesA);
    imageB =
        MemoryImage.builder()
            .put(2 * PAGE, Arrays.copyOfRange(bytesB, (int) (2 * PAGE), bytesB.length))
            .build();
  }

  @AfterAll
  static void closeImages() {
    imageA.close();
    imageB.close();
  }

  static long[] seeds() {
    long[] seeds = new long[SEEDS];
    for (int i = 0; i < SEEDS; i++) {
      seeds[i] = 1000 + i;
    }
    return seeds;
  }

  /** An open lease and what it must hold. */
  private record Open(PooledMemory memory, byte[][] expected) {}

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomSequence_matchesModel(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int slots = 1 + random.nextInt(4);
    // -1: the default, adaptive mode
    long keep = random.nextInt(3) == 0 ? -1 : random.nextBoolean() ? 0 : random.nextInt(17) * PAGE;
    long budget = random.nextBoolean() ? -1 : random.nextLong(slots * MAX + 1);
    boolean scan = random.nextBoolean();
    int batch = 1 + random.nextInt(slots);
    String where =
        "seed "
            + seed
            + " (slots "
            + slots
            + ", keep "
            + keep
            + ", scan "
            + scan
            + ", batch "
            + batch
            + ", budget "
            + budget
            + ")";
    Object[] lastKey = new Object[slots];
    MemoryImage[] lastImage = new MemoryImage[slots];
    boolean[] used = new boolean[slots];
    boolean[] purgedWhileOpen = new boolean[slots];
    List<Open> open = new ArrayList<>();
    MemoryPool.Builder builder =
        MemoryPool.builder()
            .slots(slots)
            .maxMemoryBytes(MAX)
            .maxWait(Duration.ZERO) // the model: an allocation with every slot in use fails
            .guardBytes(PAGE)
            .usePagemapScan(scan)
            .decommitBatchSize(batch)
            .maxUnusedWarmSlots(random.nextInt(slots + 1));
    if (keep >= 0) {
      builder.keepResidentBytes(keep);
    }
    if (budget >= 0) {
      builder.residentBudgetBytes(budget);
    }
    long perSlot = keep >= 0 ? keep : MAX;
    try (MemoryPool pool = builder.build()) {
      assertThat(pool.residentMode())
          .isEqualTo(keep >= 0 ? ResidentMode.FIXED : ResidentMode.ADAPTIVE);
      for (int step = 0; step < OPS; step++) {
        String at = where + " step " + step;
        int dice = random.nextInt(10);
        if (dice < 4) {
          Integer key = random.nextInt(5) == 0 ? null : random.nextInt(4);
          int which = random.nextInt(3);
          MemoryImage image = which == 0 ? null : which == 1 ? imageA : imageB;
          byte[] bytes = which == 0 ? null : which == 1 ? bytesA : bytesB;
          long minimum = image == null ? 0 : image.byteSize();
          long initial = minimum + random.nextLong(MAX - minimum + 1);
          if (open.size() == slots) {
            try {
              pool.allocate(key, image, initial);
              throw new AssertionError(at + ": allocate succeeded with every slot in use");
            } catch (PoolExhaustedException expected) {
              assertThat(expected.inUse()).as(at).isEqualTo(slots);
            }
            continue;
          }
          PooledMemory memory = pool.allocate(key, image, initial);
          int slot = memory.slot();
          boolean affine =
              used[slot] && key != null && key.equals(lastKey[slot]) && lastImage[slot] == image;
          assertThat(memory.reused()).as(at + " reused() of slot " + slot).isEqualTo(affine);
          Contents.assertPristine(memory.segment(), bytes, at + " new lease of slot " + slot);
          used[slot] = true;
          lastKey[slot] = key;
          lastImage[slot] = image;
          open.add(new Open(memory, new byte[][] {Contents.pristine(bytes, initial), bytes}));
        } else if (dice < 6 && !open.isEmpty()) {
          Open lease = open.get(random.nextInt(open.size()));
          byte[] expected = lease.expected()[0];
          if (expected.length > 0) {
            int from = random.nextInt(expected.length);
            int length = 1 + random.nextInt(Math.min(expected.length - from, (int) (3 * PAGE)));
            byte value = (byte) random.nextInt(256);
            lease.memory().segment().asSlice(from, length).fill(value);
            Arrays.fill(expected, from, from + length, value);
          }
        } else if (dice < 7 && !open.isEmpty()) {
          Open lease = open.get(random.nextInt(open.size()));
          long size = lease.memory().byteSize();
          long target = size + random.nextLong(MAX - size + 2); // MAX + 1 is a bad call
          if (target > MAX) {
            try {
              lease.memory().grow(target);
              throw new AssertionError(at + ": grow beyond max succeeded");
            } catch (IllegalArgumentException expected) {
              assertThat(lease.memory().byteSize()).as(at).isEqualTo(size);
            }
          } else {
            lease.memory().grow(target);
            byte[] grown = Contents.pristine(lease.expected()[1], target);
            System.arraycopy(lease.expected()[0], 0, grown, 0, (int) size);
            lease.expected()[0] = grown;
          }
        } else if (dice < 9 && !open.isEmpty()) {
          Open lease = open.remove(random.nextInt(open.size()));
          assertThat(lease.memory().segment().toArray(ValueLayout.JAVA_BYTE))
              .as(at + " contents before close")
              .isEqualTo(lease.expected()[0]);
          MemorySegment stale = lease.memory().segment();
          lease.memory().close();
          assertThat(stale.scope().isAlive()).as(at).isFalse();
          int slot = lease.memory().slot();
          if (purgedWhileOpen[slot]) {
            // Its key was purged while it was open: the slot comes back without affinity.
            purgedWhileOpen[slot] = false;
            lastKey[slot] = null;
          }
        } else if (dice == 9) {
          Integer key = random.nextInt(4);
          pool.purge(key);
          for (int s = 0; s < slots; s++) {
            if (Objects.equals(lastKey[s], key)) {
              if (isOpen(open, s)) {
                purgedWhileOpen[s] = true;
              } else {
                lastKey[s] = null;
              }
            }
          }
        }
        PoolStats stats = pool.stats();
        assertThat(stats.inUse()).as(at + " inUse").isEqualTo(open.size());
        assertThat(stats.inUse() + stats.unusedWarmSlots() + stats.pendingDecommits())
            .as(at + " slot counts")
            .isLessThanOrEqualTo(slots);
        assertThat(stats.residentBytes())
            .as(at + " residentBytes")
            .isLessThanOrEqualTo((stats.unusedWarmSlots() + stats.pendingDecommits()) * perSlot)
            .isLessThanOrEqualTo(stats.residentBudgetBytes());
      }
      for (Open lease : open) {
        lease.memory().close();
      }
      pool.flushDecommits();
      PoolStats stats = pool.stats();
      assertThat(pool.measureResidentBytes())
          .as(where + ": smaps Rss vs stats().residentBytes()")
          .isEqualTo(stats.residentBytes());
    }
  }

  private static boolean isOpen(List<Open> open, int slot) {
    for (Open lease : open) {
      if (lease.memory().slot() == slot) {
        return true;
      }
    }
    return false;
  }
}
