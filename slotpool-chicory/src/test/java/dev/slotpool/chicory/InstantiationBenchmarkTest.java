package dev.slotpool.chicory;

import static dev.slotpool.chicory.wasm.TestModules.bytes;
import static dev.slotpool.chicory.wasm.TestModules.dataModule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slotpool.chicory.InstantiationBenchmark.Mode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The helper behind {@code slotpool bench wasm}: it runs every mode and checks its arguments. */
class InstantiationBenchmarkTest {
  private static final byte[] WASM = dataModule(2, 0, bytes("benchmark data"));

  @Test
  void measureAll_runsEveryModeAndCallsTheExport() {
    var bench = InstantiationBenchmark.of(WASM, "run", b -> {});
    var results = bench.measureAll(Duration.ofMillis(20), Duration.ofMillis(50));
    assertThat(results)
        .extracting(InstantiationBenchmark.Result::mode)
        .containsExactly(Mode.DEFAULT, Mode.POOLED_COLD, Mode.POOLED_WARM);
    assertThat(results).allSatisfy(r -> assertThat(r.iterations()).isPositive());
    assertThat(results).allSatisfy(r -> assertThat(r.nanosPerOp()).isPositive());
    assertThat(bench.sink()).as("run(0) returns 'b': the calls happened").isPositive();
  }

  @Test
  void of_unknownExport_isRejectedWithItsName() {
    assertThatThrownBy(() -> InstantiationBenchmark.of(WASM, "nope", b -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("export: nope (expected: the name of an exported function)");
  }
}
