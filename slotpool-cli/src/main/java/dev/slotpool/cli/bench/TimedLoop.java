package dev.slotpool.cli.bench;

import java.time.Duration;

/**
 * A plain timed loop: run an operation for a warm-up period, then count how many times it runs in a
 * measured period. Good for ratios on a quiet machine; the JMH benchmarks are the careful figures.
 */
public final class TimedLoop {
  private TimedLoop() {}

  /** How many times an operation ran in the measured period, and its mean time. */
  public record Result(long iterations, double nanosPerOp) {}

  /** Runs {@code op} for {@code warmup}, then times it for {@code measurement}. */
  public static Result run(Runnable op, Duration warmup, Duration measurement) {
    loop(op, warmup.toNanos());
    long start = System.nanoTime();
    long n = loop(op, measurement.toNanos());
    return new Result(n, (double) (System.nanoTime() - start) / n);
  }

  private static long loop(Runnable op, long nanos) {
    long end = System.nanoTime() + nanos;
    long n = 0;
    do {
      op.run();
      n++;
    } while (System.nanoTime() < end);
    return n;
  }
}
