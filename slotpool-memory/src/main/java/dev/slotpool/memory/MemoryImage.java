package dev.slotpool.memory;

import java.lang.foreign.MemorySegment;

/**
 * The initial contents of a memory, backed by an anonymous in-memory file ({@code memfd}) so that a
 * {@link MemoryPool} maps it copy-on-write into a slot instead of copying it.
 *
 * <p>An image is immutable and may be shared by any number of pools and allocations at once. Its
 * {@link #byteSize()} is the extent of its contents; bytes not given (before the first, between and
 * after sparse pieces) read as zero. Building an image copies the given bytes once; nothing else
 * ever copies them in full.
 *
 * <p>{@link #close()} releases the caller's hold on the native file and mapping. Slots that still
 * hold the image keep it alive until they map something else or their pool closes, so closing an
 * image while it is in use is safe; allocating with a closed image throws {@link
 * IllegalStateException}. An image that is never closed is released when it becomes unreachable.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
public final class MemoryImage implements AutoCloseable {

  MemoryImage() {}

  /**
   * Creates an image holding a copy of {@code initialContents}.
   *
   * @throws NativeMemoryException if the memfd cannot be created or mapped
   */
  public static MemoryImage of(byte[] initialContents) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Creates an image holding a copy of {@code initialContents}'s bytes (the segment may be on or
   * off heap and is only read during this call).
   *
   * @throws NativeMemoryException if the memfd cannot be created or mapped
   */
  public static MemoryImage of(MemorySegment initialContents) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Starts a sparse image: contents at offsets, zero elsewhere, as a WebAssembly module's active
   * data segments describe a memory.
   */
  public static Builder builder() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The extent of the contents in bytes: an allocation needs at least this many initial bytes. */
  public long byteSize() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Releases the caller's hold on this image; idempotent. */
  @Override
  public void close() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Builds a sparse {@link MemoryImage}. Later pieces overwrite earlier ones where they overlap.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    Builder() {}

    /**
     * Puts a copy of {@code bytes} at {@code offset}.
     *
     * @throws IllegalArgumentException if {@code offset} is negative
     */
    public Builder put(long offset, byte[] bytes) {
      throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Puts a copy of {@code bytes}' contents at {@code offset}.
     *
     * @throws IllegalArgumentException if {@code offset} is negative
     */
    public Builder put(long offset, MemorySegment bytes) {
      throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Makes the image at least {@code byteSize} bytes long (trailing zeros), for an image whose
     * extent should cover a memory's whole initial size.
     *
     * @throws IllegalArgumentException if {@code byteSize} is negative
     */
    public Builder byteSize(long byteSize) {
      throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Creates the image.
     *
     * @throws NativeMemoryException if the memfd cannot be created or mapped
     */
    public MemoryImage build() {
      throw new UnsupportedOperationException("not yet implemented");
    }
  }
}
