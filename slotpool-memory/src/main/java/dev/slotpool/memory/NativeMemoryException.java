package dev.slotpool.memory;

/**
 * Thrown when a libc call behind a {@link MemoryPool} or {@link MemoryImage} fails, with the
 * function, its arguments and the {@code errno} text, for example {@code "mmap(len=..., ...)
 * failed: errno 12 (Cannot allocate memory)"}. Whatever the failed operation had mapped or opened
 * is released before this is thrown.
 */
public final class NativeMemoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int errno;

  /**
   * Creates the exception.
   *
   * @param call the call that failed, with its arguments
   * @param errno the {@code errno} it set
   * @param errnoText {@code strerror(errno)}
   */
  public NativeMemoryException(String call, int errno, String errnoText) {
    super(call + " failed: errno " + errno + " (" + errnoText + ")");
    this.errno = errno;
  }

  /** The {@code errno} the failed call set. */
  public int errno() {
    return errno;
  }
}
