package dev.slotpool.chicory.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a pool's instances did across threads: calls running now, closes from another thread than
 * the instance's last caller, and closes that cancelled a running call. Thread-safe; each update is
 * one {@link LongAdder} cell, so counting never contends.
 */
public final class LifecycleCounters {
  private final LongAdder running = new LongAdder();
  private final LongAdder closedFromAnotherThread = new LongAdder();
  private final LongAdder cancelled = new LongAdder();

  void callStarted() {
    running.increment();
  }

  void callEnded() {
    running.decrement();
  }

  void countCloseFromAnotherThread() {
    closedFromAnotherThread.increment();
  }

  void countCancel() {
    cancelled.increment();
  }

  /** Instances with a call running now. */
  public int running() {
    return (int) Math.max(0, running.sum());
  }

  /** Closes on another thread than the one that last called into (or created) the instance. */
  public long closedFromAnotherThread() {
    return closedFromAnotherThread.sum();
  }

  /** Closes that found a call running on another thread, and cancelled it. */
  public long cancelled() {
    return cancelled.sum();
  }
}
