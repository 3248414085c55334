package dev.slotpool.cli.model;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.report.Reports;
import java.util.Locale;

/**
 * How requests come and go in a generated workload: the steady-state model of a server, or the
 * Wasmtime seed's random test.
 *
 * <p>Immutable.
 */
public sealed interface StepModel {
  /** A short description for reports. */
  String describe();

  /**
   * The seed's random test ({@code test_affinity_allocation_strategy_random}): while any slot is
   * held, a step frees a uniformly random held slot with probability {@code freeProbability};
   * otherwise it allocates a slot for a drawn key, and an allocation that finds no free slot is
   * retried (it is not a step). The number of held slots random-walks, so results depend on the
   * run's length; it exists to reproduce the seed's figures.
   *
   * @param freeProbability the probability of a free while slots are held, in [0, 1]
   */
  record Seed(double freeProbability) implements StepModel {
    /** Checks the probability. */
    public Seed {
      if (!(freeProbability >= 0 && freeProbability <= 1)) {
        throw new BadInputException("--free-prob: " + freeProbability + " (expected: 0 <= P <= 1)");
      }
    }

    @Override
    public String describe() {
      return "seed step model (free-prob " + freeProbability + ")";
    }
  }

  /** How requests arrive in the steady-state model. */
  enum Arrivals {
    /** Independent arrivals at a constant rate (an open system: many independent clients). */
    POISSON,
    /** A fixed number of requests in flight: each one that ends is followed by the next. */
    FIXED;

    /** The label, so that the command line's enum conversion and help use it. */
    @Override
    public String toString() {
      return label();
    }

    /** The name on the command line. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The steady-state model: requests arrive (Poisson at rate {@code concurrency / 1}, or a fixed
   * {@code concurrency} in flight) and each holds a slot for a service time drawn from {@code
   * service} (mean 1), so the number in flight is stationary with mean {@code concurrency}: the
   * offered load in Erlangs. A request that finds no free slot fails (a fixed-concurrency client
   * tries again one service time later). A step is one arrival or one departure; the first {@code
   * warmup} steps are run but not measured.
   *
   * @param arrivals Poisson or fixed concurrency
   * @param concurrency the offered load: mean requests in flight, > 0
   * @param service the service time distribution
   * @param warmup steps run before measuring, >= 0
   * @param prewarm whether the pools start warm: every slot used once, by keys drawn from the
   *     workload, and freed in random order, as in a pool that has run for a while (a burst once
   *     touched every slot); otherwise they start cold, and the slots ever used grow with the run's
   *     peak load, so short and long runs differ
   */
  record Steady(
      Arrivals arrivals, double concurrency, ServiceTime service, long warmup, boolean prewarm)
      implements StepModel {

    /** Pools that start warm. */
    public Steady(Arrivals arrivals, double concurrency, ServiceTime service, long warmup) {
      this(arrivals, concurrency, service, warmup, true);
    }

    /** Checks the load and warm-up. */
    public Steady {
      if (!(concurrency > 0) || concurrency > 1e9) {
        throw new BadInputException(
            "--concurrency: " + concurrency + " (expected: 0 < N <= 1e9 requests in flight)");
      }
      if (warmup < 0) {
        throw new BadInputException("--warmup: " + warmup + " (expected: >= 0)");
      }
    }

    @Override
    public String describe() {
      return String.format(
          Locale.ROOT,
          "steady state: %s arrivals, offered load %s (mean requests in flight), %s service time,"
              + " pools starting %s",
          arrivals.label(),
          Reports.fixed(concurrency, concurrency == Math.rint(concurrency) ? 0 : 1),
          service.describe(),
          prewarm ? "warm" : "cold");
    }
  }
}
