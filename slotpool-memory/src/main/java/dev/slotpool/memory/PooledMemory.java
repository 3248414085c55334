package dev.slotpool.memory;

import java.lang.foreign.MemorySegment;

/**
 * One lease of a {@link MemoryPool} slot: a linear memory that starts with its image's contents
 * (zero elsewhere) and can grow in place up to the pool's {@code maxMemoryBytes}.
 *
 * <p>{@link #segment()} views the accessible bytes, {@code [0, byteSize())}. {@link #grow(long)}
 * makes more of the slot accessible without moving or copying anything and returns a new, larger
 * segment at the same address. Segments obtained before a grow stay valid but still have their old
 * size: a WebAssembly runtime should re-read {@link #segment()} (or use the segment {@code grow}
 * returns) after every {@code memory.grow}, as its cached memory base and bound are stale.
 *
 * <p>{@link #close()} resets the slot and returns it to the pool. Every segment of this lease
 * belongs to one shared arena that {@code close} closes, so any later access through any of them
 * throws {@link IllegalStateException}: a closed lease can never read or write the slot's next
 * user's memory, and cannot crash the JVM. Closing twice is harmless.
 *
 * <p>Thread-safe: segments may be accessed from any thread (they are shared-arena segments); {@code
 * grow} and {@code close} may be called from any thread and are atomic with respect to each other.
 * Writes made through the segment before {@code close} happen-before the slot's reset. {@code
 * close} throws {@link IllegalStateException} and leaves the lease open if a native call is still
 * using one of its segments.
 */
public final class PooledMemory implements AutoCloseable {

  PooledMemory() {}

  /**
   * The accessible bytes, {@code [0, byteSize())}, as of now.
   *
   * @throws IllegalStateException if this lease is closed
   */
  public MemorySegment segment() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The accessible size in bytes: the initial size, or the last size passed to {@link #grow}. */
  public long byteSize() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The most this memory can grow to: the pool's {@code maxMemoryBytes}. */
  public long maxByteSize() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Grows the accessible bytes in place to {@code newBytes} (the new bytes read as the image's or
   * as zero) and returns the new segment, which {@link #segment()} returns from now on. Nothing is
   * copied or moved; earlier segments stay valid with their old size.
   *
   * @param newBytes the new size, from {@link #byteSize()} to {@link #maxByteSize()}
   * @throws IllegalArgumentException if {@code newBytes} is out of that range
   * @throws IllegalStateException if this lease is closed
   * @throws NativeMemoryException if {@code mprotect} fails
   */
  public MemorySegment grow(long newBytes) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The slot this lease holds, in {@code [0, pool.slots())}. */
  public int slot() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The affinity key this lease was allocated with, or {@code null}. */
  public Object key() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The image this lease was allocated with, or {@code null}. */
  public MemoryImage image() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Whether this allocation was an affinity hit on a warm slot that already held the same image, so
   * that nothing was mapped at all. The contents are the pristine image either way; a runtime can
   * use this to skip per-instance work it cached with the slot.
   */
  public boolean reused() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Whether {@link #close()} has completed. */
  public boolean isClosed() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Invalidates every segment of this lease, resets the slot and returns it to the pool.
   * Idempotent.
   *
   * @throws IllegalStateException if a native call still holds one of this lease's segments (the
   *     lease stays open)
   */
  @Override
  public void close() {
    throw new UnsupportedOperationException("not yet implemented");
  }
}
