package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Close, purge, leaks and bad sizes: every misuse costs an exception, never a slot or an fd. */
class LifecycleTest {

  @Test
  void afterClose_everyCallThrows_andTakesNoImageHold() {
    MemoryPool pool = MemoryPool.builder().slots(2).maxMemoryBytes(4 * PAGE).build();
    MemoryImage image = MemoryImage.of(Contents.image((int) PAGE, 1));
    pool.close();
    assertThatThrownBy(() -> pool.allocate("k", image, PAGE))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> pool.allocate("k", image, PAGE, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> pool.purge("k")).isInstanceOf(IllegalStateException.class);
    image.close();
    assertThat(image.isReleased()).as("no hold was taken").isTrue();
    assertThat(pool.isTerminated()).isTrue();
  }

  @Test
  void allocateWithAnEndlessTimeout_waitsAndWakesOnClose() throws Exception {
    MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).build();
    try (PooledMemory first = pool.allocate("a", null, PAGE, Duration.ofSeconds(Long.MAX_VALUE))) {
      assertThat(first.slot()).isZero();
      Thread closer =
          new Thread(
              () -> {
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                pool.close();
              });
      closer.start();
      assertThatThrownBy(() -> pool.allocate("b", null, PAGE, Duration.ofSeconds(Long.MAX_VALUE)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      closer.join();
    }
  }

  @Test
  void builderSizesNearLongMax_throwIllegalArgument() {
    long page = PAGE;
    assertThatThrownBy(
            () ->
                MemoryPool.builder()
                    .maxMemoryBytes(Long.MAX_VALUE & -page)
                    .guardBytes(page * 16)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overflows");
  }

  @Test
  void imageSizesNearLongMax_throwIllegalArgument_andLeakNoFd() throws Exception {
    long before = openFileDescriptors();
    for (int i = 0; i < 1000; i++) {
      assertThatThrownBy(() -> MemoryImage.builder().byteSize(Long.MAX_VALUE - 1).build())
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> MemoryImage.builder().put(Long.MAX_VALUE - 2, new byte[1]).build())
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(openFileDescriptors()).isLessThanOrEqualTo(before + 2);
  }

  @Test
  void purgeWhileOpen_releaseDropsAffinityAndTheImage() {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).build()) {
      MemoryImage image = MemoryImage.of(Contents.image((int) PAGE, 2));
      PooledMemory lease = pool.allocate("m", image, PAGE);
      image.close();
      assertThat(pool.purge("m")).isZero();
      lease.close();
      assertThat(image.isReleased()).as("the image's last hold is gone").isTrue();
      try (PooledMemory next = pool.allocate("m", null, PAGE)) {
        assertThat(next.reused()).isFalse();
        Contents.assertPristine(next.segment(), null, "after purge");
      }
    }
  }

  @Test
  void keyWhoseEqualsThrows_losesNoSlot() {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).build()) {
      pool.allocate("a", null, PAGE).close();
      Object hostile =
          new Object() {
            @Override
            public boolean equals(Object o) {
              throw new ClassCastException("foreign type: " + o);
            }

            @Override
            public int hashCode() {
              return "a".hashCode();
            }
          };
      assertThatThrownBy(() -> pool.allocate(hostile, null, PAGE))
          .isInstanceOf(ClassCastException.class);
      assertThat(pool.stats().inUse()).isZero();
      pool.allocate("b", null, PAGE).close();
    }
  }

  @Test
  void droppedLease_isReclaimedByTheCleaner_andCounted() throws Exception {
    for (boolean confined : new boolean[] {false, true}) {
      try (MemoryPool pool =
          MemoryPool.builder().slots(1).maxMemoryBytes(4 * PAGE).threadConfined(confined).build()) {
        dropLease(pool);
        for (int i = 0; i < 200 && pool.stats().leakedLeases() == 0; i++) {
          System.gc();
          Thread.sleep(10);
        }
        assertThat(pool.stats().leakedLeases()).as("confined " + confined).isEqualTo(1);
        assertThat(pool.stats().inUse()).isZero();
        try (PooledMemory next = pool.allocate("k", null, PAGE)) {
          Contents.assertPristine(next.segment(), null, "after reclaim");
        }
      }
    }
  }

  private static void dropLease(MemoryPool pool) {
    pool.allocate("k", null, PAGE).segment().fill((byte) 9);
  }

  private static long openFileDescriptors() throws Exception {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}
