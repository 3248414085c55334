package dev.slotpool.cli.bench;

import dev.slotpool.cli.report.Reports;
import dev.slotpool.memory.MemoryImage;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PooledMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Times one use of a memory the size of a module's linear memory: get it holding an image, write
 * some of it, give it back. Four ways:
 *
 * <ul>
 *   <li>{@code memory/arena-copy}: what a runtime without a pool does: a fresh {@link Arena}
 *       segment, the image copied in, closed after use;
 *   <li>{@code memory/pooled-cold}: a one-slot {@link MemoryPool} taken by two keys in turn, so
 *       every use maps its image copy-on-write afresh (an affinity miss);
 *   <li>{@code memory/pooled-warm}: the same key again and again: an affinity hit that maps
 *       nothing, and a reset on release that restores only what was written;
 *   <li>{@code memory/pooled-warm-confined}: the same with thread-confined leases, whose close
 *       skips the handshake with every JVM thread that closing a shared arena costs.
 * </ul>
 *
 * <p>Not thread-safe. Linux only, as {@link MemoryPool} is.
 */
public final class MemoryBench {
  private final long imageBytes;
  private final long touchBytes;
  private final long keepResident;
  private final byte[] contents;
  private long sink;

  /**
   * Prepares a benchmark.
   *
   * @param imageBytes the image's size (and the memory's), a page multiple
   * @param touchBytes bytes written during each use, from 0 to {@code imageBytes}
   * @param keepResident the pool's keep-resident bytes
   */
  public MemoryBench(long imageBytes, long touchBytes, long keepResident) {
    this.imageBytes = imageBytes;
    this.touchBytes = touchBytes;
    this.keepResident = keepResident;
    contents = new byte[(int) imageBytes];
    for (int i = 0; i < contents.length; i += 4096) {
      contents[i] = (byte) (i >>> 12 | 1); // a non-zero byte on every page, as real data has
    }
  }

  /** Times the four cases, each after a warm-up. */
  public List<String[]> measureAll(Duration warmup, Duration measurement) {
    List<String[]> rows = new ArrayList<>();
    rows.add(row("memory/arena-copy", TimedLoop.run(this::arenaCopy, warmup, measurement)));
    try (MemoryImage a = MemoryImage.of(contents);
        MemoryImage b = MemoryImage.of(contents);
        MemoryPool pool = pool(1)) {
      Object keyA = "a";
      Object keyB = "b";
      boolean[] flip = {false};
      Runnable cold =
          () -> {
            flip[0] = !flip[0];
            use(pool, flip[0] ? keyA : keyB, flip[0] ? a : b);
          };
      rows.add(row("memory/pooled-cold", TimedLoop.run(cold, warmup, measurement)));
      rows.add(
          row("memory/pooled-warm", TimedLoop.run(() -> use(pool, keyA, a), warmup, measurement)));
    }
    try (MemoryImage a = MemoryImage.of(contents);
        MemoryPool pool = pool(1, true)) {
      rows.add(
          row(
              "memory/pooled-warm-confined",
              TimedLoop.run(() -> use(pool, "a", a), warmup, measurement)));
    }
    return rows;
  }

  private MemoryPool pool(int slots) {
    return pool(slots, false);
  }

  private MemoryPool pool(int slots, boolean threadConfined) {
    return MemoryPool.builder()
        .slots(slots)
        .maxMemoryBytes(imageBytes)
        .keepResidentBytes(keepResident)
        .threadConfined(threadConfined)
        .build();
  }

  private void use(MemoryPool pool, Object key, MemoryImage image) {
    try (PooledMemory memory = pool.allocate(key, image, imageBytes)) {
      touch(memory.segment());
    }
  }

  private void arenaCopy() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment segment = arena.allocate(imageBytes, 4096);
      MemorySegment.copy(contents, 0, segment, ValueLayout.JAVA_BYTE, 0, contents.length);
      touch(segment);
    }
  }

  private void touch(MemorySegment segment) {
    for (long offset = 0; offset < touchBytes; offset += 4096) {
      byte b = segment.get(ValueLayout.JAVA_BYTE, offset);
      segment.set(ValueLayout.JAVA_BYTE, offset, (byte) (b + 1));
      sink += b;
    }
  }

  private static String[] row(String name, TimedLoop.Result r) {
    return new String[] {name, Reports.fixed(r.nanosPerOp(), 1), Long.toString(r.iterations())};
  }

  /** Keeps the reads observable. */
  long sink() {
    return sink;
  }
}
