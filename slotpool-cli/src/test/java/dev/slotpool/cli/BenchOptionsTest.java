package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slotpool.cli.input.BadInputException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The warm-up and timed durations of bench memory and bench wasm, as picocli parses them. */
class BenchOptionsTest {

  private static BenchOptions parse(String... args) {
    BenchOptions options = new BenchOptions();
    new CommandLine(options).parseArgs(args);
    return options;
  }

  @Test
  void warmup_notGiven_isEachCommandsDefault() {
    BenchOptions options = parse();

    assertThat(options.durations(BenchOptions.WASM_WARMUP))
        .containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(2));
    assertThat(options.durations(BenchOptions.MEMORY_WARMUP))
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
  }

  @Test
  void warmup_given_overridesTheDefault() {
    BenchOptions options = parse("--warmup", "0.5", "--time", "3");

    assertThat(options.durations(BenchOptions.WASM_WARMUP))
        .containsExactly(Duration.ofMillis(500), Duration.ofSeconds(3));
  }

  @Test
  void warmup_negative_isRefusedNamingTheValue() {
    BenchOptions options = parse("--warmup", "-1");

    assertThatThrownBy(() -> options.durations(BenchOptions.WASM_WARMUP))
        .isInstanceOf(BadInputException.class)
        .hasMessage("--warmup: -1.0 (expected: 0 <= SECONDS <= 600)");
  }
}
