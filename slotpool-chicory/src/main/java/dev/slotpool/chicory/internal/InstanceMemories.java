package dev.slotpool.chicory.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The lifecycle of one pooled instance: its memories, the calls running in it, and its close.
 *
 * <p>Any thread may instantiate, call, and close the instance. Every call into the instance's Wasm
 * code passes {@link #enter()} and {@link #exit()} (its {@link GuardedMachine} does it), so the
 * pool knows at every moment whether Wasm code of the instance runs, and on which threads:
 *
 * <ul>
 *   <li>{@link #close()} while no call runs resets and returns the memories at once, on the closing
 *       thread.
 *   <li>{@link #close()} during a call (a watchdog, a cancelled future) <em>cancels</em> it: the
 *       memories throw {@link IllegalStateException} at their next access, the running threads are
 *       interrupted (Chicory stops at its next interruption check, even in a loop that touches no
 *       memory), and the memories are reset and returned by the last running thread as its call
 *       exits. A slot is never reset while Wasm code of its instance may still touch it.
 *   <li>A call that starts after close throws {@link IllegalStateException}.
 * </ul>
 *
 * <p>No thread keeps an interrupt the pool set: a running thread that the close interrupted has the
 * flag cleared as its call exits; a thread whose flag was already set is not interrupted, and keeps
 * its flag. Thread-safe.
 */
/*
 * Implementation notes
 *
 * Everything that decides who releases happens under `this`: enter and exit count the calls per
 * thread, close marks the instance closed, invalidates the memories (their next access throws) and
 * interrupts the running threads. Whoever sees closed && nothing running first (close itself, or
 * the exit of the last call) sets `releasing` and performs the release outside the lock, so it
 * happens exactly once and never while a call runs. An interrupt is sent under the lock while the
 * thread is registered as running, and the thread clears it in its exit, also under the lock, so
 * the clear always follows the interrupt, and a thread never leaves its call with a flag we set.
 *
 * The common case has one thread in the instance (`runner`, `depth` for nested calls through host
 * functions); further threads calling at the same time, which a Chicory instance does not support
 * but does not forbid, are kept in `others`.
 *
 * Nothing here refers to the pool or the plan's registry, so an instance dropped unclosed becomes
 * unreachable with its leases, and the memory layer's leak detection can reclaim them. A running
 * call keeps its GuardedMachine, and so this object and the leases, reachable.
 */
public final class InstanceMemories {
  private final Runnable afterRelease;
  private final LifecycleCounters counters;
  private PooledLinearMemory[] memories = new PooledLinearMemory[0];

  private Thread runner; // the thread with calls running, or null
  private int depth; // its nesting depth
  private boolean runnerInterrupted; // the close interrupted it: clear the flag at its exit
  private List<Runner> others; // other threads calling at the same time (misuse, but allowed)
  private Thread lastCaller; // the last thread that entered, or the instantiating one
  private boolean closed;
  private boolean cancelled; // the close interrupted a running call
  private boolean releasing;
  private boolean released;
  private BeforeRelease beforeRelease; // or null

  /**
   * What the instance does as it is released, on the releasing thread, while no call runs and
   * before its slots go back to the pool: a recyclable instance resets what the guest can observe
   * and parks itself with its slot; a prepared module's other instances close their WASI context.
   */
  public interface BeforeRelease {
    /** Runs the step; {@code cancelled} says whether the close cancelled a running call. */
    void run(boolean cancelled);
  }

  /**
   * Memories whose release runs {@code afterRelease} once, on the releasing thread, after they are
   * all back in the pool; {@code counters} are the pool's.
   */
  public InstanceMemories(Runnable afterRelease, LifecycleCounters counters) {
    this.afterRelease = afterRelease;
    this.counters = counters;
    this.lastCaller = Thread.currentThread();
  }

  /** Sets the step run as the instance is released; set before the instance is handed out. */
  public void beforeRelease(BeforeRelease step) {
    this.beforeRelease = step;
  }

  /** Adds the next memory, in index order; called while instantiating. */
  synchronized void add(PooledLinearMemory memory) {
    var grown = Arrays.copyOf(memories, memories.length + 1);
    grown[memories.length] = memory;
    memories = grown;
  }

  /** The memories in index order. */
  public synchronized PooledLinearMemory[] memories() {
    return memories;
  }

  /** Whether {@link #close()} has been called. */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Whether a call is running in the instance now. */
  public synchronized boolean isRunning() {
    return runner != null || others != null;
  }

  /**
   * Counts a call into the instance on this thread.
   *
   * @throws IllegalStateException if the instance is closed
   */
  public void enter() {
    Thread current = Thread.currentThread();
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException(
            "this PooledInstance is closed: its memories are back in the pool; instantiate anew");
      }
      lastCaller = current;
      if (runner == current) {
        depth++;
      } else if (runner == null && others == null) {
        runner = current;
        depth = 1;
        counters.callStarted();
      } else {
        enterOther(current);
      }
    }
  }

  /**
   * Ends a call counted by {@link #enter()} on this thread; the last one out of a closed instance
   * releases it.
   */
  public void exit() {
    Thread current = Thread.currentThread();
    boolean release;
    synchronized (this) {
      if (runner == current) {
        if (--depth == 0) {
          runner = null;
          if (runnerInterrupted) {
            runnerInterrupted = false;
            Thread.interrupted(); // the close's interrupt, and only if the close sent it
          }
          if (others == null) {
            counters.callEnded();
          }
        }
      } else {
        exitOther(current);
      }
      release = claimRelease();
    }
    if (release) {
      release();
    }
  }

  /**
   * Closes the instance: releases its memories now if no call runs in it, or cancels the running
   * calls and leaves the release to the last of them. Idempotent: a repeated close waits for a
   * release that another thread has begun, so that the slots are back when any close returns while
   * no call runs.
   *
   * @return true if this call released the memories
   */
  public boolean close() {
    Thread current = Thread.currentThread();
    boolean release;
    synchronized (this) {
      if (closed) {
        awaitRelease();
        return false;
      }
      closed = true;
      for (PooledLinearMemory memory : memories) {
        memory.invalidate();
      }
      if (current != lastCaller) {
        counters.countCloseFromAnotherThread();
      }
      boolean cancelled = false;
      if (runner != null && runner != current) {
        cancelled = true;
        runnerInterrupted = interrupt(runner);
      }
      if (others != null) {
        for (Runner other : others) {
          if (other.thread != current) {
            cancelled = true;
            other.interrupted = interrupt(other.thread);
          }
        }
      }
      if (cancelled) {
        this.cancelled = true;
        counters.countCancel();
      }
      release = claimRelease();
    }
    if (release) {
      release();
    }
    return release;
  }

  /** Whether this thread is the one to release: closed, nothing running, nobody released yet. */
  private boolean claimRelease() {
    if (closed && !releasing && runner == null && others == null) {
      releasing = true;
      return true;
    }
    return false;
  }

  /** Waits, under the lock, for a release that another thread is performing. */
  private void awaitRelease() {
    boolean interrupted = false;
    while (releasing && !released) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true; // a release takes microseconds: finish waiting, keep the flag
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Returns every memory to the pool on this thread; if one lease fails to close, the others are
   * still released and the first failure is thrown.
   */
  private void release() {
    try {
      releaseMemories();
    } finally {
      synchronized (this) {
        released = true;
        notifyAll();
      }
    }
  }

  private void releaseMemories() {
    RuntimeException failure = null;
    BeforeRelease step = beforeRelease;
    if (step != null) {
      boolean wasCancelled;
      synchronized (this) {
        wasCancelled = cancelled;
      }
      try {
        step.run(wasCancelled);
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    for (PooledLinearMemory memory : memories()) {
      try {
        memory.release();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    try {
      afterRelease.run();
    } catch (RuntimeException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Interrupts {@code thread} unless its flag is set already; returns whether it did. */
  private static boolean interrupt(Thread thread) {
    if (thread.isInterrupted()) {
      return false; // somebody else's interrupt: not ours to send, nor to clear later
    }
    thread.interrupt();
    return true;
  }

  private void enterOther(Thread current) {
    if (others == null) {
      others = new ArrayList<>(2);
    }
    for (Runner other : others) {
      if (other.thread == current) {
        other.depth++;
        return;
      }
    }
    others.add(new Runner(current)); // runner or others are busy: counted as running already
  }

  private void exitOther(Thread current) {
    if (others == null) {
      throw new IllegalStateException(current + " exits a call it never entered");
    }
    for (int i = 0; i < others.size(); i++) {
      Runner other = others.get(i);
      if (other.thread == current) {
        if (--other.depth == 0) {
          others.remove(i);
          if (other.interrupted) {
            Thread.interrupted();
          }
          if (others.isEmpty()) {
            others = null;
            if (runner == null) {
              counters.callEnded();
            }
          }
        }
        return;
      }
    }
    throw new IllegalStateException(current + " exits a call it never entered");
  }

  /** A thread calling into the instance while {@code runner} does too. */
  private static final class Runner {
    final Thread thread;
    int depth = 1;
    boolean interrupted;

    Runner(Thread thread) {
      this.thread = thread;
    }
  }
}
