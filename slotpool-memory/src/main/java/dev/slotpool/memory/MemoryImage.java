package dev.slotpool.memory;

import dev.slotpool.memory.internal.Libc;
import dev.slotpool.memory.internal.Mapping;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The initial contents of a memory, backed by an anonymous in-memory file ({@code memfd}) so that a
 * {@link MemoryPool} maps it copy-on-write into a slot instead of copying it.
 *
 * <p>An image is immutable and may be shared by any number of pools and allocations at once. Its
 * {@link #byteSize()} is the extent of its contents; bytes not given (before the first, between and
 * after sparse pieces) read as zero. Building an image copies the given bytes once into the memfd;
 * nothing else ever copies them in full.
 *
 * <p>{@link #close()} releases the caller's hold on the native file and mapping. Slots that still
 * hold the image keep it alive until they map something else or their pool closes, so closing an
 * image while it is in use is safe; allocating with a closed image throws {@link
 * IllegalStateException}. An image that is never closed is released when it becomes unreachable.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
// Restricted FFM methods (downcalls, reinterpret) are the point of this layer: callers grant
// native access to the module (or ALL-UNNAMED on the class path).
@SuppressWarnings("restricted")
public final class MemoryImage implements AutoCloseable {
  /*
   * Implementation notes.
   *
   * The memfd is sized to byteSize rounded up to a page, so a slot can map all of it without a
   * partial last page (touching a page past a file's end raises SIGBUS). The image keeps one
   * read-only MAP_SHARED mapping of the file, `contents`, from which a reset copies pages back by
   * hand. Pieces of a sparse image are written through that mapping before it is made read-only;
   * pages nobody wrote stay holes in the file and cost nothing.
   *
   * holds counts the caller's hold (1 until close()) plus one per slot that has the image mapped;
   * when it reaches 0 the Mapping unmaps `contents` and closes the fd, exactly once. Mappings into
   * slots keep the file itself alive in the kernel, independent of the descriptor. The Cleaner
   * releases the same Mapping if the image becomes unreachable without being closed; a pool that
   * holds the image keeps it reachable.
   *
   * Invariant: holds > 0 iff the mapping is not released.
   */

  private final long byteSize;
  private final long mappedBytes;
  private final int fd;
  private final MemorySegment contents;
  private final Mapping mapping;
  private final Cleaner.Cleanable cleanable;
  private final AtomicInteger holds = new AtomicInteger(1);
  private final AtomicBoolean closed = new AtomicBoolean();

  private MemoryImage(long byteSize, List<Piece> pieces) {
    checkByteSize("byteSize", byteSize);
    long page = Libc.pageSize();
    this.byteSize = byteSize;
    this.mappedBytes = (byteSize + page - 1) & -page;
    int memfd = Libc.memfdCreate("slotpool-image");
    long address = 0;
    try {
      if (mappedBytes > 0) {
        Libc.ftruncate(memfd, mappedBytes);
        address =
            Libc.mmap(0, mappedBytes, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, memfd, 0);
        MemorySegment writable = MemorySegment.ofAddress(address).reinterpret(mappedBytes);
        for (Piece piece : pieces) {
          MemorySegment.copy(piece.bytes, 0, writable, piece.offset, piece.bytes.byteSize());
        }
        Libc.mprotect(address, mappedBytes, Libc.PROT_READ);
      }
    } catch (RuntimeException e) {
      if (address != 0) {
        Libc.munmap(address, mappedBytes);
      }
      Libc.close(memfd);
      throw e;
    }
    this.fd = memfd;
    this.contents =
        mappedBytes == 0
            ? MemorySegment.NULL
            : MemorySegment.ofAddress(address).reinterpret(mappedBytes);
    this.mapping = new Mapping(address, mappedBytes, memfd);
    this.cleanable = Mapping.CLEANER.register(this, mapping);
  }

  /**
   * Creates an image holding a copy of {@code initialContents}.
   *
   * @throws NativeMemoryException if the memfd cannot be created or mapped
   */
  public static MemoryImage of(byte[] initialContents) {
    return builder().put(0, initialContents).build();
  }

  /**
   * Creates an image holding a copy of {@code initialContents}'s bytes (the segment may be on or
   * off heap and is only read during this call).
   *
   * @throws NativeMemoryException if the memfd cannot be created or mapped
   */
  public static MemoryImage of(MemorySegment initialContents) {
    return builder().put(0, initialContents).build();
  }

  /**
   * Starts a sparse image: contents at offsets, zero elsewhere, as a WebAssembly module's active
   * data segments describe a memory.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The extent of the contents in bytes: an allocation needs at least this many initial bytes. */
  public long byteSize() {
    return byteSize;
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    return closed.get();
  }

  /** Releases the caller's hold on this image; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      release();
    }
  }

  @Override
  public String toString() {
    return "MemoryImage[byteSize=" + byteSize + (closed.get() ? ", closed]" : "]");
  }

  /** The page-rounded length of the memfd, which a slot maps. */
  long mappedBytes() {
    return mappedBytes;
  }

  /** The memfd, valid while a hold is kept. */
  int fd() {
    return fd;
  }

  /** The read-only view of all {@link #mappedBytes()}, valid while a hold is kept. */
  MemorySegment contents() {
    return contents;
  }

  /**
   * Takes a hold for a slot that is about to map this image.
   *
   * @throws IllegalStateException if the image is closed
   */
  void acquire() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed: build a new image to allocate with");
    }
    int n;
    do {
      n = holds.get();
      if (n == 0) {
        throw new IllegalStateException(this + " is closed: build a new image to allocate with");
      }
    } while (!holds.compareAndSet(n, n + 1));
  }

  /** Drops a hold; the last one unmaps and closes the file. */
  void release() {
    if (holds.decrementAndGet() == 0) {
      cleanable.clean();
    }
  }

  /** Whether the native file and mapping are released (all holds dropped). */
  boolean isReleased() {
    return mapping.isReleased();
  }

  /** The largest extent whose page-rounded length still fits a long. */
  private static long maxByteSize() {
    return Long.MAX_VALUE - (Libc.pageSize() - 1);
  }

  private static void checkByteSize(String what, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException(what + ": " + bytes + " (expected: >= 0)");
    }
    if (bytes > maxByteSize()) {
      throw new IllegalArgumentException(
          what + ": " + bytes + " (expected: 0 <= " + what + " <= " + maxByteSize() + ")");
    }
  }

  private record Piece(long offset, MemorySegment bytes) {}

  /**
   * Builds a sparse {@link MemoryImage}. Later pieces overwrite earlier ones where they overlap.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    private final List<Piece> pieces = new ArrayList<>();
    private long byteSize;

    Builder() {}

    /**
     * Puts a copy of {@code bytes} at {@code offset}.
     *
     * @throws IllegalArgumentException if {@code offset} is negative
     */
    public Builder put(long offset, byte[] bytes) {
      Objects.requireNonNull(bytes, "bytes");
      return put(offset, MemorySegment.ofArray(bytes));
    }

    /**
     * Puts a copy of {@code bytes}' contents at {@code offset}.
     *
     * @throws IllegalArgumentException if {@code offset} is negative, or the piece would end past
     *     the largest image (near {@code Long.MAX_VALUE}); the builder is then unchanged
     */
    public Builder put(long offset, MemorySegment bytes) {
      Objects.requireNonNull(bytes, "bytes");
      if (offset < 0) {
        throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
      }
      if (offset > maxByteSize() - bytes.byteSize()) {
        throw new IllegalArgumentException(
            "offset: "
                + offset
                + " (expected: offset <= "
                + maxByteSize()
                + " - the piece's "
                + bytes.byteSize()
                + " bytes)");
      }
      MemorySegment copy = MemorySegment.ofArray(bytes.toArray(ValueLayout.JAVA_BYTE));
      pieces.add(new Piece(offset, copy));
      byteSize = Math.max(byteSize, offset + copy.byteSize());
      return this;
    }

    /**
     * Makes the image at least {@code byteSize} bytes long (trailing zeros), for an image whose
     * extent should cover a memory's whole initial size.
     *
     * @throws IllegalArgumentException if {@code byteSize} is negative or too large for its page
     *     rounding to fit a long (the builder is then unchanged)
     */
    public Builder byteSize(long byteSize) {
      checkByteSize("byteSize", byteSize);
      this.byteSize = Math.max(this.byteSize, byteSize);
      return this;
    }

    /**
     * Creates the image. The builder may be reused afterwards.
     *
     * @throws NativeMemoryException if the memfd cannot be created or mapped
     */
    public MemoryImage build() {
      return new MemoryImage(byteSize, List.copyOf(pieces));
    }
  }
}
