package dev.slotpool.cli.report;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress bar on stderr for long runs: it appears once a run has taken a second, redraws a few
 * times a second, and erases itself when closed, so short runs and redirected output never see it.
 *
 * <p>Workers add the steps they finish to {@link #done()}; one daemon thread draws. Thread-safe.
 */
public final class Progress implements AutoCloseable {
  private static final long SHOW_AFTER_NANOS = 1_000_000_000L;
  private static final long REDRAW_MILLIS = 200;
  private static final int WIDTH = 30;

  private final AtomicLong done = new AtomicLong();
  private final PrintWriter err;
  private final long total;
  private final Thread drawer;
  private volatile String label = "";
  private volatile boolean closed;
  private boolean drawn;

  private Progress(PrintWriter err, long total, boolean enabled) {
    this.err = err;
    this.total = Math.max(1, total);
    if (enabled) {
      drawer = Thread.ofPlatform().daemon().name("slotpool-progress").start(this::draw);
    } else {
      drawer = null;
    }
  }

  /**
   * Starts tracking {@code total} steps; draws only if {@code enabled}.
   *
   * @param err where to draw
   */
  public static Progress start(PrintWriter err, long total, boolean enabled) {
    return new Progress(err, total, enabled);
  }

  /**
   * Whether stderr is a terminal a bar can be drawn on. The launcher knows ({@code [ -t 2 ]}) and
   * says so in the {@code slotpool.stderr.terminal} system property; without it, the console stands
   * in (a terminal only if standard input and output are).
   */
  public static boolean terminal() {
    String told = System.getProperty("slotpool.stderr.terminal");
    if (told != null) {
      return Boolean.parseBoolean(told);
    }
    var console = System.console();
    return console != null && console.isTerminal();
  }

  /** The counter workers add finished steps to. */
  public AtomicLong done() {
    return done;
  }

  /** Names what is running now, shown after the bar. */
  public void label(String label) {
    this.label = label;
  }

  private void draw() {
    long start = System.nanoTime();
    while (!closed) {
      try {
        Thread.sleep(REDRAW_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      if (closed || System.nanoTime() - start < SHOW_AFTER_NANOS) {
        continue;
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        double fraction = Math.min(1.0, (double) done.get() / total);
        int filled = (int) (fraction * WIDTH);
        err.printf(
            "\r[%s%s] %3d%%  %-40s",
            "#".repeat(filled), " ".repeat(WIDTH - filled), (int) (fraction * 100), label);
        err.flush();
        drawn = true;
      }
    }
  }

  /** Stops drawing and erases the bar. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (drawn) {
        err.print("\r" + " ".repeat(WIDTH + 48) + "\r");
        err.flush();
      }
    }
    if (drawer != null) {
      drawer.interrupt();
    }
  }
}
