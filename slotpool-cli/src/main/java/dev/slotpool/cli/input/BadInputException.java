package dev.slotpool.cli.input;

/**
 * Input the command cannot use: a malformed trace line, a missing file, a value out of range. The
 * command prints its message as one line and exits with status 2; no stack trace is shown, so the
 * message must say what was wrong and what was expected.
 */
public final class BadInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; {@code message} is shown to the user as it is. */
  public BadInputException(String message) {
    super(message, null, false, false);
  }
}
