package dev.slotpool.sim;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code slotpool bench}: quick throughput figures; the subcommands say of what. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Quick timings of the allocators (slotpool-bench's JMH runs are the careful figures).",
    subcommands = {BenchIndexCommand.class})
final class BenchCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing what to measure (expected: index)");
  }
}
