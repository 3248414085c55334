package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Threads mixing allocate (with and without a timeout), release, grow, purge, stats and pool close,
 * and, for shared leases, a close from another thread, over pools that come and go in every mode.
 * Ownership is tracked per slot (no slot ever has two holders), every lease is scanned in full for
 * a previous user's bytes right after its allocation, a closed lease's segment must throw, and at
 * the end no slot, file descriptor or mapping is left. The only exceptions allowed are the
 * documented ones: {@link PoolExhaustedException}, and {@link IllegalStateException} once the pool
 * is closed (or a shared lease was closed under its user). Seeded, so a failure names its round and
 * thread.
 */
class PoolStressTest {
  private static final int ROUNDS = 8;
  private static final int WORKERS = 3;
  private static final int OPS = 250;
  private static final long MAX = 16 * PAGE;
  private static final byte[][] IMAGES = {
    Contents.image((int) (2 * PAGE + 9), 21), Contents.image((int) (5 * PAGE), 22)
  };

  @Test
  void mixedOperations_manyRounds_exclusiveSlots_pristineLeases_nothingLeftBehind()
      throws Exception {
    warmUp();
    long fdsBefore = openFds();
    for (int round = 0; round < ROUNDS; round++) {
      round(round);
    }
    assertThat(memfdMappings()).as("image mappings left").isZero();
    assertThat(openFds()).as("open file descriptors").isEqualTo(fdsBefore);
  }

  /** Runs one round on a new pool, and checks that it leaves no slot, hold or mapping. */
  private static void round(int round) throws Exception {
    boolean shared = round % 2 == 1;
    MemoryPool.Builder builder =
        MemoryPool.builder()
            .slots(4)
            .maxMemoryBytes(MAX)
            .maxWait(Duration.ofMillis(20)) // as the timed allocations: no round waits long
            .guardBytes(PAGE)
            .threadConfined(!shared)
            .usePagemapScan(round % 4 < 2)
            .decommitBatchSize(round % 3 == 0 ? 2 : 1);
    switch (round % 3) {
      case 0 -> builder.residentBudgetBytes(6 * PAGE); // adaptive, the budget binds
      case 1 -> builder.keepResidentBytes(3 * PAGE);
      default -> {} // adaptive, the default budget
    }
    MemoryPool pool = builder.build();
    MemoryImage[] images = {MemoryImage.of(IMAGES[0]), MemoryImage.of(IMAGES[1])};
    AtomicIntegerArray owner = new AtomicIntegerArray(pool.slots());
    AtomicLong base = new AtomicLong(-1);
    AtomicBoolean closing = new AtomicBoolean();
    AtomicInteger ops = new AtomicInteger();
    AtomicInteger allocations = new AtomicInteger();
    AtomicInteger handedOver = new AtomicInteger();
    var handOver = new ConcurrentLinkedQueue<Held>();
    var failures = new ConcurrentLinkedQueue<Throwable>();
    var start = new CyclicBarrier(WORKERS + 1);
    var done = new CountDownLatch(WORKERS);
    List<Thread> threads = new ArrayList<>();
    for (int w = 1; w <= WORKERS; w++) {
      int id = w;
      var random = new SplittableRandom(round * 101L + w);
      threads.add(
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < OPS; i++) {
                    if (step(pool, images, owner, base, closing, handOver, random, id, shared)) {
                      allocations.incrementAndGet();
                    }
                    ops.incrementAndGet();
                  }
                } catch (Throwable e) {
                  failures.add(new AssertionError("round " + round + ", worker " + id, e));
                } finally {
                  done.countDown();
                }
              }));
    }
    var random = new SplittableRandom(-round);
    // Every other round, the pool is closed under the workers, late enough that much ran before.
    int closeAt = round % 4 >= 2 ? WORKERS * OPS / 2 + random.nextInt(WORKERS * OPS / 3) : -1;
    threads.add(
        new Thread(
            () -> {
              try {
                start.await();
                while (done.getCount() > 0) {
                  Held held = handOver.poll();
                  if (held != null) {
                    release(held, owner); // a shared lease closed by another thread
                    handedOver.incrementAndGet();
                  }
                  if (closeAt >= 0 && !closing.get() && ops.get() >= closeAt) {
                    closing.set(true);
                    pool.close(); // under running workers
                  }
                  Thread.onSpinWait();
                }
              } catch (Throwable e) {
                failures.add(new AssertionError("round " + round + ", closer", e));
              }
            }));
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    for (Held held; (held = handOver.poll()) != null; ) {
      release(held, owner);
    }
    assertThat(failures).as("round %d", round).isEmpty();
    assertThat(allocations.get()).as("round %d: allocations", round).isGreaterThan(OPS);
    if (shared) {
      assertThat(handedOver.get()).as("round %d: closed by another thread", round).isPositive();
    }
    if (!closing.get()) {
      assertThat(pool.stats().inUse()).as("round %d: slots in use at the end", round).isZero();
    }
    pool.close();
    assertThat(pool.isTerminated()).as("round %d: reservation unmapped", round).isTrue();
    for (MemoryImage image : images) {
      image.close();
      assertThat(image.isReleased()).as("round %d: every image hold returned", round).isTrue();
    }
    long b = base.get();
    if (b >= 0) {
      long end = b + pool.slots() * (MAX + PAGE);
      assertThat(mappedBytes(b, end))
          .as("round %d: bytes still mapped in the closed pool's reservation", round)
          .isZero();
    }
  }

  /** A lease and what its holder knows about it. */
  private record Held(PooledMemory lease, MemorySegment segment, int slot, int holder) {}

  /** One random operation; returns whether it allocated. */
  private static boolean step(
      MemoryPool pool,
      MemoryImage[] images,
      AtomicIntegerArray owner,
      AtomicLong base,
      AtomicBoolean closing,
      ConcurrentLinkedQueue<Held> handOver,
      SplittableRandom random,
      int id,
      boolean shared)
      throws InterruptedException {
    int which = random.nextInt(3);
    MemoryImage image = which < 2 ? images[which] : null;
    byte[] bytes = which < 2 ? IMAGES[which] : null;
    Object key = random.nextInt(5) == 0 ? null : random.nextInt(3);
    try {
      switch (random.nextInt(12)) {
        case 0 -> {
          if (key != null) {
            pool.purge(key);
          }
        }
        case 1 -> {
          PoolStats stats = pool.stats();
          assertThat(stats.inUse()).isBetween(0, pool.slots());
          assertThat(stats.inUse() + stats.unusedWarmSlots()).isLessThanOrEqualTo(pool.slots());
        }
        default -> {
          long initial = Math.max(bytes == null ? 0 : bytes.length, random.nextInt(8) * PAGE);
          initial = (initial + PAGE - 1) & -PAGE;
          PooledMemory lease =
              random.nextBoolean()
                  ? pool.allocate(key, image, initial)
                  : pool.allocate(key, image, initial, Duration.ofMillis(20));
          int slot = lease.slot();
          if (!owner.compareAndSet(slot, 0, id)) {
            throw new AssertionError("slot " + slot + " has two holders: " + owner.get(slot));
          }
          base.compareAndSet(-1, lease.segment().address() - slot * (MAX + PAGE));
          Held held = new Held(lease, lease.segment(), slot, id);
          use(held, owner, bytes, random);
          if (shared && random.nextInt(4) == 0) {
            handOver.add(held); // closed by another thread from here on
          } else {
            release(held, owner);
          }
          return true;
        }
      }
    } catch (PoolExhaustedException e) {
      // every slot busy: documented
    } catch (IllegalStateException | InterruptedException e) {
      // Documented once the pool is closed: a closed pool refuses, and its close invalidated the
      // shared leases (HotSpot then interrupts a thread it finds inside an access).
      Thread.interrupted();
      if (!closing.get()) {
        throw new AssertionError("pool not closed", e);
      }
    }
    return false;
  }

  /** Checks the fresh lease in full for foreign bytes, then writes and maybe grows it. */
  private static void use(
      Held held, AtomicIntegerArray owner, byte[] bytes, SplittableRandom random) {
    int id = held.holder();
    try {
      Contents.assertPristine(held.segment(), bytes, "slot " + held.slot());
      MemorySegment segment = held.segment();
      if (segment.byteSize() > 0) {
        segment.asSlice(0, Math.min(segment.byteSize(), PAGE)).fill((byte) (0x40 + id));
      }
      if (random.nextInt(3) == 0) {
        long grown = Math.min(MAX, segment.byteSize() + (1 + random.nextInt(4)) * PAGE);
        MemorySegment after = held.lease().grow(grown);
        Contents.assertPristine(after.asSlice(segment.byteSize()), null, "grown " + held.slot());
        after.set(ValueLayout.JAVA_BYTE, grown - 1, (byte) (0x50 + id));
      }
    } catch (RuntimeException | Error e) {
      release(held, owner); // never lose the slot to a failed check
      throw e;
    }
  }

  /** Gives up ownership, closes the lease, and checks that its segment no longer works. */
  private static void release(Held held, AtomicIntegerArray owner) {
    if (!owner.compareAndSet(held.slot(), held.holder(), 0)) {
      throw new AssertionError("slot " + held.slot() + " changed holders while held");
    }
    held.lease().close();
    try {
      held.segment().get(ValueLayout.JAVA_BYTE, 0);
      if (held.segment().byteSize() > 0) {
        throw new AssertionError("segment of a closed lease still works, slot " + held.slot());
      }
    } catch (IllegalStateException | IndexOutOfBoundsException e) {
      // closed (or empty): as documented
    }
  }

  /** A pool built and closed first, so that files opened once per process are open already. */
  private static void warmUp() {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(MAX).build();
        MemoryImage image = MemoryImage.of(IMAGES[0]);
        PooledMemory lease = pool.allocate("k", image, 4 * PAGE)) {
      lease.segment().fill((byte) 1);
    }
  }

  private static long openFds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Mappings of memory images (memfd files) left in the process. */
  private static long memfdMappings() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines.filter(line -> line.contains("/memfd:")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Bytes of {@code [from, to)} that any mapping, accessible or not, still covers. */
  private static long mappedBytes(long from, long to) {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines
          .mapToLong(
              line -> {
                int dash = line.indexOf('-');
                int space = line.indexOf(' ');
                long s = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long e = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                return Math.max(0, Math.min(e, to) - Math.max(s, from));
              })
          .sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
