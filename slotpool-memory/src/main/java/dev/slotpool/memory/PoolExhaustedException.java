package dev.slotpool.memory;

/**
 * Thrown when a pool has no slot to give: every slot stayed in use (or waiting for its decommit)
 * for as long as the call could wait ({@link PoolSettings#maxWait()}, or the wait the call named),
 * or the thread was interrupted while it waited. Its message names the numbers and what the caller
 * can do about it.
 */
public final class PoolExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What a {@link MemoryPool} user can do, the end of the message of its exceptions. */
  static final String MEMORY_POOL_ADVICE =
      "close each PooledMemory as soon as it is done, raise slots(), or wait longer:"
          + " maxWait(Duration) or allocate(..., Duration)";

  private final int capacity;
  private final int inUse;

  /**
   * Creates the exception of a {@link MemoryPool}.
   *
   * @param capacity the pool's number of slots
   * @param inUse the slots in use when the allocation failed
   * @param detail how long it waited, appended to the message in parentheses (may be empty)
   */
  public PoolExhaustedException(int capacity, int inUse, String detail) {
    this("memory pool", capacity, inUse, detail, MEMORY_POOL_ADVICE);
  }

  /**
   * Creates the exception with the message {@code "POOL exhausted: IN_USE of CAPACITY slots in use
   * (DETAIL); ADVICE"}.
   *
   * @param pool what ran out, for example {@code "memory pool"}
   * @param capacity the pool's number of slots
   * @param inUse the slots in use when the allocation failed
   * @param detail how long it waited (may be empty)
   * @param advice what the caller can do
   */
  public PoolExhaustedException(
      String pool, int capacity, int inUse, String detail, String advice) {
    super(
        pool
            + " exhausted: "
            + inUse
            + " of "
            + capacity
            + " slots in use"
            + (detail.isEmpty() ? "" : " (" + detail + ")")
            + "; "
            + advice);
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
