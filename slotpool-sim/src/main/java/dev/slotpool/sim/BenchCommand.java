package dev.slotpool.sim;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code slotpool bench}: quick throughput figures; the subcommands say of what. */
@Command(
    name = "bench",
    header = "Quick timings: index allocators, memory slots, Chicory instantiation.",
    mixinStandardHelpOptions = true,
    description =
        "Quick timings of the index allocators, pooled memory slots and pooled Chicory"
            + " instantiation (slotpool-bench's JMH runs are the careful figures).",
    subcommands = {BenchIndexCommand.class, BenchMemoryCommand.class, BenchWasmCommand.class})
final class BenchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Without a subcommand, shows the usage on stderr and exits with status 2. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Slotpool.BAD_INPUT;
  }
}
