package dev.slotpool.memory;

import java.time.Duration;

/**
 * A fixed number of memory slots carved out of one virtual-memory reservation, handed out as {@link
 * PooledMemory} leases that remember what they held: Wasmtime's pooling memory allocator for the
 * JVM.
 *
 * <p>Each slot is {@code maxMemoryBytes} of address space followed by {@code guardBytes} that are
 * never accessible. {@link #allocate(Object, MemoryImage, long) allocate(key, image, bytes)} picks
 * a slot with a {@link dev.slotpool.index.AffinityIndexAllocator}, preferring a warm slot last used
 * for an equal {@code key}; maps the image copy-on-write into it unless the slot already holds it;
 * and makes the first {@code bytes} accessible. Closing the lease resets the slot: its first {@code
 * keepResidentBytes} are restored by hand (copied back from the image or zeroed) and stay resident
 * for the next user, the rest is dropped with {@code madvise(MADV_DONTNEED)}, in batches of {@code
 * decommitBatchSize} slots. Where the kernel supports {@code PAGEMAP_SCAN} (Linux 6.7+), only the
 * pages actually written are restored.
 *
 * <p>Isolation: no byte written through one lease is ever visible through a later lease of the same
 * slot, whatever the keys, images, sizes and growth. A lease of a key with an image always starts
 * with exactly the image's contents, zero elsewhere.
 *
 * <p>Thread-safe: {@code allocate}, {@code purge}, {@code stats} and the leases' {@code close} may
 * be called from any thread at any time. A lease's reset happens-before the allocation that next
 * returns its slot. {@link #close()} unmaps the whole reservation; it must not race with the use of
 * leases (their segments are invalidated first, so a late access throws instead of crashing).
 *
 * <p>Linux only (x86-64 and AArch64): it calls libc through the FFM API and needs native access
 * ({@code --enable-native-access}).
 */
public final class MemoryPool implements AutoCloseable {

  MemoryPool() {}

  /** Starts configuring a pool. */
  public static Builder builder() {
    return new Builder();
  }

  /** The size of a virtual-memory page on this machine, to which every size is rounded. */
  public static long pageSize() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Leases a slot for {@code key}, starting with {@code image}'s contents (or zeros) and {@code
   * initialBytes} accessible. Fails at once if no slot is free.
   *
   * @param key the affinity key (for example a module's memory), or {@code null} for none
   * @param image the initial contents, or {@code null} for zeros
   * @param initialBytes the accessible size, from {@code image.byteSize()} (or 0) to {@code
   *     maxMemoryBytes}
   * @throws PoolExhaustedException if every slot is in use
   * @throws IllegalArgumentException if {@code initialBytes} is out of range
   * @throws IllegalStateException if this pool or {@code image} is closed
   * @throws NativeMemoryException if mapping the image or making the bytes accessible fails (the
   *     slot goes back to the pool)
   */
  public PooledMemory allocate(Object key, MemoryImage image, long initialBytes) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * As {@link #allocate(Object, MemoryImage, long)}, but waits up to {@code timeout} for a slot to
   * be released when every slot is in use.
   *
   * @throws PoolExhaustedException if no slot was released in time
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public PooledMemory allocate(Object key, MemoryImage image, long initialBytes, Duration timeout)
      throws InterruptedException {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Strips {@code key}'s affinity from every warm slot and unmaps the images they held, as a
   * runtime does when it unloads a module. Slots in use are left alone.
   *
   * @return how many warm slots were purged
   * @throws NullPointerException if {@code key} is null
   */
  public int purge(Object key) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Performs every queued decommit now, making those slots available. */
  public void flushDecommits() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** A snapshot of this pool's counters, in O(1). */
  public PoolStats stats() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The number of slots. */
  public int slots() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The most bytes one slot's memory can grow to. */
  public long maxMemoryBytes() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** The inaccessible bytes after each slot. */
  public long guardBytes() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** How many bytes at the start of a slot a reset restores by hand and keeps resident. */
  public long keepResidentBytes() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Whether resets use {@code PAGEMAP_SCAN} to restore only the pages written. */
  public boolean usesPagemapScan() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Reads {@code /proc/self/smaps} and returns the resident bytes ({@code Rss}) of this pool's
   * reservation: the figure that {@link PoolStats#residentBytes()} predicts for warm slots, plus
   * whatever the leases in use have touched. Slow (it parses the whole file); for tests, benchmarks
   * and diagnostics.
   *
   * @throws java.io.UncheckedIOException if the file cannot be read
   */
  public long measureResidentBytes() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Invalidates every open lease's segments, releases the images the slots hold and unmaps the
   * reservation. Idempotent; later allocations throw {@link IllegalStateException}.
   */
  @Override
  public void close() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Configures a {@link MemoryPool}. Sizes are in bytes and must be multiples of {@link
   * MemoryPool#pageSize()}.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    int slots = 16;
    long maxMemoryBytes = 64L << 20;
    long guardBytes = 64L << 10;
    long keepResidentBytes;
    int maxUnusedWarmSlots = -1;
    int decommitBatchSize = 1;
    boolean pagemapScan = true;

    Builder() {}

    /** The number of slots (default 16). */
    public Builder slots(int slots) {
      this.slots = slots;
      return this;
    }

    /** The most bytes one slot's memory can grow to, a page multiple (default 64 MiB). */
    public Builder maxMemoryBytes(long maxMemoryBytes) {
      this.maxMemoryBytes = maxMemoryBytes;
      return this;
    }

    /** Inaccessible bytes after each slot, a page multiple, possibly 0 (default 64 KiB). */
    public Builder guardBytes(long guardBytes) {
      this.guardBytes = guardBytes;
      return this;
    }

    /**
     * How many bytes at the start of a slot a reset restores by hand and keeps resident instead of
     * dropping them (default 0: drop everything). Rounded up to a page.
     */
    public Builder keepResidentBytes(long keepResidentBytes) {
      this.keepResidentBytes = keepResidentBytes;
      return this;
    }

    /**
     * How many warm slots may accumulate before an allocation without a warm slot of its own evicts
     * the least recently used warm slot rather than taking a cold one (default: {@code slots}).
     */
    public Builder maxUnusedWarmSlots(int maxUnusedWarmSlots) {
      this.maxUnusedWarmSlots = maxUnusedWarmSlots;
      return this;
    }

    /**
     * How many released slots to collect before dropping their pages in one pass (default 1: at
     * once). Queued slots are not available until their batch is flushed, which also happens when
     * an allocation would otherwise fail.
     */
    public Builder decommitBatchSize(int decommitBatchSize) {
      this.decommitBatchSize = decommitBatchSize;
      return this;
    }

    /**
     * Whether to use {@code PAGEMAP_SCAN} to reset only written pages where the kernel has it
     * (default true). With false, or on older kernels, a reset restores all of the first {@code
     * keepResidentBytes} and drops the rest.
     */
    public Builder usePagemapScan(boolean usePagemapScan) {
      this.pagemapScan = usePagemapScan;
      return this;
    }

    /**
     * Reserves the address space and creates the pool.
     *
     * @throws IllegalArgumentException if a setting is out of range (the message names it)
     * @throws NativeMemoryException if the reservation fails (nothing is left mapped)
     * @throws UnsupportedOperationException if this is not Linux
     */
    public MemoryPool build() {
      throw new UnsupportedOperationException("not yet implemented");
    }
  }
}
