package dev.slotpool.cli;

import dev.slotpool.cli.bench.MemoryBench;
import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.Sizes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code slotpool bench memory}: a pooled memory slot against a fresh arena, per use. */
@Command(
    name = "memory",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Times one use of a module-sized memory: get it holding an image, write --touch bytes of"
          + " it, give it back. memory/arena-copy: a fresh Arena segment with the image copied"
          + " in; memory/pooled-cold: a MemoryPool slot that maps the image afresh (a miss);"
          + " memory/pooled-warm: the same key's warm slot (a hit: nothing to map, a reset of"
          + " only what was written); memory/pooled-warm-confined: the same with"
          + " thread-confined leases. Linux only. Figures from a busy machine are noisy.",
      ""
    },
    footer = {"", "Example:", "  slotpool bench memory --image 4MiB --touch 256KiB --format csv"})
final class BenchMemoryCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--image",
      paramLabel = "SIZE",
      defaultValue = "1MiB",
      converter = WorkloadOptions.SizeConverter.class,
      description = "Image (and memory) size, rounded up to 64 KiB. Default: ${DEFAULT-VALUE}.")
  long image;

  @Option(
      names = "--touch",
      paramLabel = "SIZE",
      defaultValue = "64KiB",
      converter = WorkloadOptions.SizeConverter.class,
      description = "Bytes written in each use (one byte per page). Default: ${DEFAULT-VALUE}.")
  long touch;

  @Option(
      names = "--keep-resident",
      paramLabel = "SIZE",
      defaultValue = "64KiB",
      converter = WorkloadOptions.SizeConverter.class,
      description = "The pool's keep-resident bytes. Default: ${DEFAULT-VALUE}.")
  long keepResident;

  @picocli.CommandLine.Mixin BenchOptions bench;

  @Override
  public Integer call() {
    long rounded = (image + 65_535) / 65_536 * 65_536;
    if (rounded < 65_536 || rounded > 1L << 30) {
      throw new BadInputException("--image: " + image + " (expected: 1 <= SIZE <= 1GiB)");
    }
    if (touch > rounded) {
      throw new BadInputException(
          "--touch: " + touch + " (expected: at most the image, " + rounded + ")");
    }
    if (keepResident > rounded) {
      throw new BadInputException(
          "--keep-resident: " + keepResident + " (expected: at most the image, " + rounded + ")");
    }
    Duration[] times = bench.durations(BenchOptions.MEMORY_WARMUP);
    List<String[]> rows =
        new MemoryBench(rounded, touch, keepResident).measureAll(times[0], times[1]);
    bench.print(
        spec.commandLine().getOut(),
        "image "
            + Sizes.format(rounded)
            + ", "
            + Sizes.format(touch)
            + " written per use, keep-resident "
            + Sizes.format(keepResident),
        rows);
    return 0;
  }
}
