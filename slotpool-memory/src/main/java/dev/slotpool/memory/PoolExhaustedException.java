package dev.slotpool.memory;

/**
 * Thrown when a {@link MemoryPool} has no slot to give: every slot is in use or waiting for its
 * decommit, and a timed allocation, if any, ran out of time.
 */
public final class PoolExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int capacity;
  private final int inUse;

  /**
   * Creates the exception.
   *
   * @param capacity the pool's number of slots
   * @param inUse the slots in use when the allocation failed
   * @param detail what was tried, appended to the message (may be empty)
   */
  public PoolExhaustedException(int capacity, int inUse, String detail) {
    super(
        "memory pool exhausted: "
            + inUse
            + " of "
            + capacity
            + " slots in use"
            + (detail.isEmpty() ? "" : " (" + detail + ")")
            + "; close a PooledMemory, raise slots(), or allocate with a timeout");
    this.capacity = capacity;
    this.inUse = inUse;
  }

  /** The pool's number of slots. */
  public int capacity() {
    return capacity;
  }

  /** The slots in use when the allocation failed. */
  public int inUse() {
    return inUse;
  }
}
