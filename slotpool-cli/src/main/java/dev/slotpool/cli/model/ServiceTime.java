package dev.slotpool.cli.model;

import dev.slotpool.cli.input.BadInputException;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A service-time distribution with mean 1 (the unit of simulated time): how long a request holds
 * its slot. {@code exp} (memoryless), {@code fixed}, {@code lognormal:CV} (coefficient of variation
 * CV: the spread of real request durations) and {@code pareto:A} (heavy tail of shape A > 1).
 *
 * <p>Immutable and thread-safe; randomness comes from the caller's generator.
 *
 * @param kind the family
 * @param parameter CV for lognormal, the shape for pareto, unused otherwise
 */
public record ServiceTime(Kind kind, double parameter) {
  /*
   * Implementation notes. Lognormal with mean 1 and coefficient of variation c has
   * sigma^2 = ln(1 + c^2) and mu = -sigma^2 / 2. Pareto with shape a and mean 1 has scale
   * (a - 1) / a; a draw is scale / U^(1/a) for U uniform in (0, 1].
   */

  /** The families. */
  public enum Kind {
    /** Exponential. */
    EXP,
    /** Always 1. */
    FIXED,
    /** Lognormal with a given coefficient of variation. */
    LOGNORMAL,
    /** Pareto with a given shape. */
    PARETO
  }

  /** The default: exponential. */
  public static final ServiceTime EXP = new ServiceTime(Kind.EXP, 0);

  private static final String EXPECTED =
      " (expected: exp, fixed, lognormal:CV with CV > 0, or pareto:A with A > 1)";

  /**
   * Parses {@code exp}, {@code fixed}, {@code lognormal:CV} or {@code pareto:A}.
   *
   * @throws BadInputException naming the value if it does not parse
   */
  public static ServiceTime parse(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    int colon = s.indexOf(':');
    String name = colon < 0 ? s : s.substring(0, colon);
    String arg = colon < 0 ? null : s.substring(colon + 1);
    try {
      switch (name) {
        case "exp" -> {
          if (arg == null) {
            return EXP;
          }
        }
        case "fixed" -> {
          if (arg == null) {
            return new ServiceTime(Kind.FIXED, 0);
          }
        }
        case "lognormal" -> {
          double cv = arg == null ? 1 : Double.parseDouble(arg);
          if (cv > 0 && cv <= 100) {
            return new ServiceTime(Kind.LOGNORMAL, cv);
          }
        }
        case "pareto" -> {
          double shape = arg == null ? 2.5 : Double.parseDouble(arg);
          if (shape > 1 && shape <= 100) {
            return new ServiceTime(Kind.PARETO, shape);
          }
        }
        default -> {
          // reported below
        }
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadInputException("--service: '" + text + "'" + EXPECTED);
  }

  /** Draws a service time; the mean over many draws is 1. */
  public double draw(SplittableRandom random) {
    return switch (kind) {
      case EXP -> -Math.log(1 - random.nextDouble());
      case FIXED -> 1;
      case LOGNORMAL -> {
        double sigma2 = Math.log(1 + parameter * parameter);
        yield Math.exp(-sigma2 / 2 + Math.sqrt(sigma2) * gaussian(random));
      }
      case PARETO -> (parameter - 1) / parameter / Math.pow(1 - random.nextDouble(), 1 / parameter);
    };
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller, one of the pair: allocation-free and deterministic for a seed.
    double u = 1 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** The name as written on the command line. */
  public String describe() {
    return switch (kind) {
      case EXP -> "exp";
      case FIXED -> "fixed";
      case LOGNORMAL -> "lognormal:" + parameter;
      case PARETO -> "pareto:" + parameter;
    };
  }
}
