package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

class FlightRecorderTest {

  @Test
  void allocateReleaseAndDecommit_areRecorded_whenEnabled() throws Exception {
    Path file = Files.createTempFile("slotpool-memory", ".jfr");
    try (Recording recording = new Recording();
        MemoryPool pool =
            MemoryPool.builder().slots(2).maxMemoryBytes(8 * PAGE).keepResidentBytes(PAGE).build();
        MemoryImage image = MemoryImage.of(new byte[] {1, 2, 3})) {
      recording.enable("dev.slotpool.memory.Allocate");
      recording.enable("dev.slotpool.memory.Release");
      recording.enable("dev.slotpool.memory.Decommit");
      recording.start();
      try (PooledMemory memory = pool.allocate("k", image, 4 * PAGE)) {
        memory.segment().fill((byte) 1);
      }
      pool.allocate("k", image, 4 * PAGE).close();
      recording.stop();
      recording.dump(file);

      List<RecordedEvent> events = RecordingFile.readAllEvents(file);
      Map<String, Long> counts =
          events.stream()
              .collect(
                  Collectors.groupingBy(e -> e.getEventType().getName(), Collectors.counting()));
      assertThat(counts)
          .containsEntry("dev.slotpool.memory.Allocate", 2L)
          .containsEntry("dev.slotpool.memory.Release", 2L)
          .containsKey("dev.slotpool.memory.Decommit");
      Map<Boolean, RecordedEvent> allocations =
          events.stream()
              .filter(e -> e.getEventType().getName().endsWith("Allocate"))
              .collect(Collectors.toMap(e -> e.getBoolean("reused"), Function.identity()));
      assertThat(allocations.get(false).getBoolean("imageMapped")).isTrue();
      assertThat(allocations.get(true).getBoolean("imageMapped")).isFalse();
      RecordedEvent release =
          events.stream()
              .filter(e -> e.getEventType().getName().endsWith("Release"))
              .findFirst()
              .orElseThrow();
      assertThat(release.getLong("residentBytes")).isEqualTo(PAGE);
      assertThat(release.getLong("decommitBytes")).isEqualTo(3 * PAGE);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
