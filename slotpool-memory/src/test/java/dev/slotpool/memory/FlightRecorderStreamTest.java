package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;

/**
 * The JFR events read back live with {@link RecordingStream}, as a monitoring agent would, field by
 * field as docs/JFR.md documents them.
 */
class FlightRecorderStreamTest {
  private static final String ALLOCATE = "dev.slotpool.memory.Allocate";
  private static final String RELEASE = "dev.slotpool.memory.Release";
  private static final String DECOMMIT = "dev.slotpool.memory.Decommit";

  /**
   * Streams the three events while {@code work} runs on this thread, until {@code expected}
   * allocations and releases of this thread's have arrived (other tests' leftovers, a Cleaner's
   * release say, are left out). A release's decommit is recorded before the release returns, so it
   * has arrived by the time a later release has.
   */
  private static List<RecordedEvent> stream(int expected, Runnable work) throws Exception {
    long thread = Thread.currentThread().threadId();
    List<RecordedEvent> events = new CopyOnWriteArrayList<>();
    CountDownLatch arrived = new CountDownLatch(expected);
    try (RecordingStream stream = new RecordingStream()) {
      for (String name : List.of(ALLOCATE, RELEASE, DECOMMIT)) {
        stream.enable(name);
        stream.onEvent(
            name,
            event -> {
              if (event.getThread() != null && event.getThread().getJavaThreadId() == thread) {
                events.add(event);
                if (!event.getEventType().getName().equals(DECOMMIT)) {
                  arrived.countDown();
                }
              }
            });
      }
      stream.startAsync();
      work.run();
      // Streams deliver at each flush (about once a second); the bound only guards a hang. Every
      // event is recorded on the thread that allocated or released (its getThread()).
      assertThat(arrived.await(60, TimeUnit.SECONDS)).as("events: %s", events).isTrue();
    }
    return events;
  }

  private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
    return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
  }

  @Test
  void fixedMode_allocateReleaseDecommit_carryTheirFields() throws Exception {
    long[] imageBytes = new long[1];
    List<RecordedEvent> events =
        stream(
            4,
            () -> {
              try (MemoryPool pool =
                      MemoryPool.builder()
                          .slots(2)
                          .maxMemoryBytes(8 * PAGE)
                          .keepResidentBytes(PAGE)
                          .build();
                  MemoryImage image = MemoryImage.of(new byte[] {1, 2, 3})) {
                imageBytes[0] = image.byteSize();
                try (PooledMemory memory = pool.allocate("k", image, 4 * PAGE)) {
                  memory.segment().fill((byte) 1);
                }
                pool.allocate("k", image, 2 * PAGE).close(); // nothing written: nothing dropped
              }
            });

    List<RecordedEvent> allocations = named(events, ALLOCATE);
    assertThat(allocations).hasSize(2);
    RecordedEvent cold = allocations.get(0);
    assertThat(cold.getInt("slot")).isZero();
    assertThat(cold.getLong("initialBytes")).isEqualTo(4 * PAGE);
    assertThat(cold.getLong("imageBytes")).isEqualTo(imageBytes[0]).isPositive();
    assertThat(cold.getBoolean("reused")).isFalse();
    assertThat(cold.getBoolean("imageMapped")).isTrue();
    assertThat(cold.getEventType().getField("initialBytes").getContentType())
        .isEqualTo("jdk.jfr.DataAmount");
    RecordedEvent warm = allocations.get(1);
    assertThat(warm.getInt("slot")).isZero();
    assertThat(warm.getLong("initialBytes")).isEqualTo(2 * PAGE);
    assertThat(warm.getBoolean("reused")).isTrue();
    assertThat(warm.getBoolean("imageMapped")).isFalse();

    List<RecordedEvent> releases = named(events, RELEASE);
    assertThat(releases).hasSize(2);
    RecordedEvent first = releases.get(0);
    assertThat(first.getInt("slot")).isZero();
    assertThat(first.getLong("byteSize")).isEqualTo(4 * PAGE);
    assertThat(first.getLong("residentBytes")).isEqualTo(PAGE); // keepResidentBytes
    assertThat(first.getLong("decommitBytes")).isEqualTo(3 * PAGE); // the rest of what it used
    assertThat(first.getBoolean("adaptive")).isFalse();

    List<RecordedEvent> decommits = named(events, DECOMMIT);
    assertThat(decommits).isNotEmpty();
    assertThat(decommits.getFirst().getInt("slots")).isEqualTo(1);
    assertThat(decommits.getFirst().getLong("bytes")).isEqualTo(3 * PAGE);
  }

  @Test
  void adaptiveMode_releaseKeepsWhatWasWritten_andDropsNothing() throws Exception {
    List<RecordedEvent> events =
        stream(
            2,
            () -> {
              try (MemoryPool pool =
                      MemoryPool.builder().slots(1).maxMemoryBytes(8 * PAGE).build();
                  PooledMemory memory = pool.allocate(null, null, 4 * PAGE)) {
                memory.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
                memory.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 2 * PAGE, (byte) 1);
              }
            });

    RecordedEvent allocation = named(events, ALLOCATE).getFirst();
    assertThat(allocation.getLong("imageBytes")).isZero();
    assertThat(allocation.getBoolean("imageMapped")).isFalse();
    RecordedEvent release = named(events, RELEASE).getFirst();
    assertThat(release.getBoolean("adaptive")).isTrue();
    assertThat(release.getLong("byteSize")).isEqualTo(4 * PAGE);
    assertThat(release.getLong("decommitBytes")).isZero();
    if (release.getBoolean("pagemapScan")) { // Linux 6.7+: exactly the two pages written
      assertThat(release.getLong("residentBytes")).isEqualTo(2 * PAGE);
    } else { // elsewhere the whole accessible range is restored and kept
      assertThat(release.getLong("residentBytes")).isEqualTo(4 * PAGE);
    }
  }
}
