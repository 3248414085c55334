package dev.slotpool.memory.internal;

/**
 * Released slots whose pages wait to be dropped with {@code madvise(MADV_DONTNEED)} together, as
 * Wasmtime's {@code decommit_queue.rs} collects them: one range per slot, in release order.
 *
 * <p>Not thread-safe: the pool fills a batch under its lock and flushes it from one thread.
 */
public final class DecommitBatch {
  private final int[] slots;
  private final long[] addresses;
  private final long[] lengths;
  private int size;

  /** Creates an empty batch with room for {@code capacity} slots. */
  public DecommitBatch(int capacity) {
    slots = new int[capacity];
    addresses = new long[capacity];
    lengths = new long[capacity];
  }

  /** Adds a slot and the range to drop; returns whether the batch is now full. */
  public boolean add(int slot, long address, long length) {
    slots[size] = slot;
    addresses[size] = address;
    lengths[size] = length;
    size++;
    return size == slots.length;
  }

  /** The number of slots queued. */
  public int size() {
    return size;
  }

  /** The slot at {@code i}. */
  public int slot(int i) {
    return slots[i];
  }

  /** The start of the range to drop for the slot at {@code i}. */
  public long address(int i) {
    return addresses[i];
  }

  /** The length of the range to drop for the slot at {@code i}. */
  public long length(int i) {
    return lengths[i];
  }

  /** Empties the batch for reuse. */
  public void clear() {
    size = 0;
  }
}
