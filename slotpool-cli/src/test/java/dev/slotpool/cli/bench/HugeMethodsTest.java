package dev.slotpool.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.slotpool.testkit.wasm.WasmBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which compiled Wasm functions HotSpot will never JIT-compile, and what the user is told. */
class HugeMethodsTest {
  private static final byte[] I32 = {WasmBuilder.I32};

  /** Functions 0 (x + 1) and 1 (x + 7, {@code adds} times over: a long straight-line body). */
  private static byte[] module(int adds) {
    var small = new WasmBuilder.Code().localGet(0).i32Const(1).i32Add();
    var big = new WasmBuilder.Code();
    for (int i = 0; i < adds; i++) {
      big.localGet(0).i32Const(7).i32Add().localSet(0);
    }
    big.localGet(0);
    return new WasmBuilder()
        .function("small", I32, I32, small)
        .function("big", I32, I32, big)
        .build();
  }

  @Test
  void aFunctionOverTheLimit_isNamedWithItsIndexAndSize_smallOnesAreNot() {
    List<HugeMethods.HugeFunction> huge = HugeMethods.of(module(2_500));

    assertThat(huge).hasSize(1);
    HugeMethods.HugeFunction big = huge.getFirst();
    assertThat(big.index()).isEqualTo(1);
    assertThat(big.name()).isNull(); // the module has no name section
    assertThat(big.bytecodeBytes()).isGreaterThan(HugeMethods.HUGE_METHOD_LIMIT);
    assertThat(big.toString()).startsWith("function 1: ").endsWith(" bytes");
  }

  @Test
  void functionsUnderTheLimit_giveNoNote() {
    List<HugeMethods.HugeFunction> huge = HugeMethods.of(module(100));

    assertThat(huge).isEmpty();
    assertThat(HugeMethods.note(huge)).isNull();
  }

  @Test
  void note_namesTheFunctionsAndTheFlag() {
    assumeFalse(HugeMethods.hugeMethodsCompiled(), "this JVM compiles huge methods: no note");
    var huge =
        List.of(
            new HugeMethods.HugeFunction(54, null, 10_685),
            new HugeMethods.HugeFunction(7, "printf_core", 9_001));

    assertThat(HugeMethods.note(huge))
        .startsWith("note: 2 Wasm functions compile to a JVM method of more than 8,000 bytes")
        .contains("(function 54: 10,685 bytes; function 7 (printf_core): 9,001 bytes)")
        .contains("SLOTPOOL_JAVA_OPTS=-XX:-DontCompileHugeMethods");
  }
}
