package dev.slotpool.cli.report;

import dev.slotpool.cli.input.Sizes;
import dev.slotpool.cli.model.MemoryModel;
import dev.slotpool.cli.model.SimResult;
import dev.slotpool.cli.model.Simulator;
import java.util.Locale;

/** The lines above a simulate or tune table: what was run, and the load it saw. Stateless. */
public final class RunSummary {
  private RunSummary() {}

  /**
   * The run's setting in words, first line, and its step model, second line; {@code slotsSwept} and
   * {@code memorySwept} leave out what the table's columns show.
   */
  public static String summary(
      Simulator.Config config, MemoryModel memory, boolean slotsSwept, boolean memorySwept) {
    String steps;
    if (config.trace() != null) {
      steps = Reports.grouped(config.steps()) + " trace events";
    } else {
      steps =
          Reports.grouped(config.ops())
              + " steps"
              + (config.warmup() > 0
                  ? " after " + Reports.grouped(config.warmup()) + " warm-up steps"
                  : "")
              + " (seed "
              + config.seed()
              + (config.threads() > 1 ? ", " + config.threads() + " threads" : "")
              + ")";
    }
    String pools =
        config.hosts() > 1
            ? config.hosts()
                + " hosts of "
                + config.slots()
                + " slots ("
                + config.routing().label()
                + " routing)"
            : slotsSwept ? "slots as below" : config.slots() + " slots";
    String reset =
        memory.adaptive()
            ? "adaptive reset, resident budget "
                + (memorySwept ? "as below" : Sizes.format(memory.bytes()))
            : "fixed reset, keep-resident "
                + Sizes.format(Math.min(memory.bytes(), config.bytesPerSlot()));
    return config.describe()
        + ": "
        + pools
        + ", "
        + config.keys()
        + " keys, "
        + steps
        + ", "
        + Sizes.format(config.bytesPerSlot())
        + " written per request, "
        + reset
        + (config.costs().endToEnd() ? ", measured costs" : "")
        + "\n"
        + (config.trace() != null ? "replayed in order" : config.model().describe());
  }

  /** The load the run actually saw: requests in flight, mean and peak. */
  public static String measured(Simulator.Config config, SimResult r) {
    if (r.meanInFlight() < 0) {
      return "requests in flight: peak " + Reports.grouped(r.peakInFlight());
    }
    return String.format(
        Locale.ROOT,
        "requests in flight: mean %.1f, peak %s (of %s slots)",
        r.meanInFlight(),
        Reports.grouped(r.peakInFlight()),
        Reports.grouped((long) r.slots() * config.hosts()));
  }
}
