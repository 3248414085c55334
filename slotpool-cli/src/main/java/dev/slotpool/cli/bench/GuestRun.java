package dev.slotpool.cli.bench;

import dev.slotpool.cli.input.BadInputException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Runs a user's WebAssembly code (an init, an entry point, a benchmark of it) on a thread of its
 * own with a time limit, so that a guest that never returns is stopped and reported in one line
 * instead of hanging the command, and one that recurses until the JVM's stack overflows is reported
 * rather than printed as a stack trace. Stateless.
 */
public final class GuestRun {
  /*
   * Implementation notes
   *
   * The runtimes check the thread's interrupt flag as they run (Chicory's interpreter at calls and
   * branches, its compiled code at loop heads) and throw, so interrupting the worker stops the
   * guest; the caller then waits a short grace for the worker to unwind (closing its pools), and
   * reports the time limit whatever the worker threw. A guest stuck where no check comes (a host
   * call that blocks) leaves the worker behind; it is a daemon, so the command still ends.
   *
   * The worker has the default stack size, as the command's main thread has: a recursion deep
   * enough to overflow it would overflow there too.
   */

  /** How long a stopped guest's thread may take to unwind before the command reports anyway. */
  private static final long GRACE_MILLIS = 5_000;

  private GuestRun() {}

  /**
   * Runs {@code task} and returns its result, or fails once {@code limit} has passed.
   *
   * @param what the guest code, for messages: {@code "--init start"}, {@code "app.wasm: add"}
   * @param limitOption the option that sets {@code limit}, for the message
   * @throws BadInputException if the limit passes (the task is interrupted) or the task overflows
   *     the stack; whatever else the task throws is rethrown as it is
   */
  public static <T> T call(String what, Duration limit, String limitOption, Callable<T> task) {
    Object[] outcome = new Object[2]; // result, throwable; published by join()
    Thread worker =
        Thread.ofPlatform()
            .daemon()
            .name("slotpool-guest")
            .unstarted(
                () -> {
                  try {
                    outcome[0] = task.call();
                  } catch (Throwable t) {
                    outcome[1] = t;
                  }
                });
    worker.start();
    try {
      if (!worker.join(limit)) {
        worker.interrupt();
        worker.join(GRACE_MILLIS);
        throw new BadInputException(
            what
                + " did not return within "
                + seconds(limit)
                + " (expected: code that returns; "
                + limitOption
                + " sets the limit)");
      }
    } catch (InterruptedException e) {
      worker.interrupt();
      Thread.currentThread().interrupt();
      throw new BadInputException(what + ": interrupted while waiting for the guest");
    }
    Throwable thrown = (Throwable) outcome[1];
    if (thrown == null) {
      @SuppressWarnings("unchecked")
      T result = (T) outcome[0];
      return result;
    }
    if (thrown instanceof StackOverflowError) {
      throw new BadInputException(
          what + " overflowed the stack (expected: a recursion that ends, and not too deep)");
    }
    if (thrown instanceof RuntimeException e) {
      throw e;
    }
    if (thrown instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException(what + " failed", thrown);
  }

  /** Parses a time limit in seconds, as given to {@code option}. */
  public static Duration limit(String option, double seconds) {
    if (!(seconds > 0) || seconds > 86_400) {
      throw new BadInputException(
          option + ": " + seconds + " (expected: 0 < SECONDS <= 86400, a day)");
    }
    return Duration.ofNanos((long) (seconds * TimeUnit.SECONDS.toNanos(1)));
  }

  private static String seconds(Duration limit) {
    double s = limit.toNanos() / 1e9;
    return (s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s)) + " s";
  }
}
