package dev.slotpool.cli.bench;

/**
 * A pooled request wrote other bytes (or exited otherwise) than the runtime's own memory did: the
 * pool changed what the module computed, so its timing means nothing.
 */
public final class OutputMismatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with {@code message}. */
  public OutputMismatchException(String message) {
    super(message);
  }
}
