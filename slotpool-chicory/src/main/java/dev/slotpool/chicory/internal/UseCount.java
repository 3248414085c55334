package dev.slotpool.chicory.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lifecycle of something shared by in-flight instantiations (a snapshot's images): live until
 * {@linkplain #retire() retired}, each instantiation holds a {@linkplain #tryAcquire() use} while
 * it allocates with it, and {@code onClosed} runs exactly once, when it is retired and its last use
 * is {@linkplain #release() released}, so that a close never pulls an image from under an
 * instantiation. Once retired no new use can be taken. {@link ModulePlan} counts with it too.
 *
 * <p>Thread-safe: every method may be called from any thread at any time.
 */
/*
 * Implementation notes
 *
 * `uses` counts the live reference (1 until retire()) plus one per in-flight use; tryAcquire
 * increments only a positive count, so once it reaches 0 (onClosed has run, exactly once) it stays
 * 0. `retired` makes retire() idempotent, and it is set before the live reference is given back,
 * so whoever sees uses == 0 also sees retired.
 */
public final class UseCount {
  private final AtomicInteger uses = new AtomicInteger(1);
  private final Runnable onClosed;
  private volatile boolean retired;

  /** A live count; {@code onClosed} runs on the thread that gives back the last use. */
  public UseCount(Runnable onClosed) {
    this.onClosed = onClosed;
  }

  /**
   * Takes a use.
   *
   * @return false if retired (nothing is taken)
   */
  public boolean tryAcquire() {
    if (retired) {
      return false; // a retired count may still be in use, but it takes no new user
    }
    int n;
    do {
      n = uses.get();
      if (n == 0) {
        return false;
      }
    } while (!uses.compareAndSet(n, n + 1));
    if (retired) {
      release(); // retired meanwhile: new uses are refused from retire() on
      return false;
    }
    return true;
  }

  /** Gives back a use taken by {@link #tryAcquire()}; the last use of a retired count closes. */
  public void release() {
    if (uses.decrementAndGet() == 0) {
      onClosed.run();
    }
  }

  /**
   * Retires: no new use can be taken, and {@code onClosed} runs with the last in-flight use (now if
   * there is none). Idempotent.
   *
   * @return true if this call retired it, false if it already was
   */
  public boolean retire() {
    synchronized (this) {
      if (retired) {
        return false;
      }
      retired = true;
    }
    release();
    return true;
  }

  /** Whether {@link #retire()} has been called. */
  public boolean isRetired() {
    return retired;
  }

  /** Whether {@code onClosed} has run: retired, and no use is left. */
  public boolean isClosed() {
    return uses.get() == 0;
  }
}
