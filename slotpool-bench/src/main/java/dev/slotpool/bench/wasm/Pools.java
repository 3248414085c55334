package dev.slotpool.bench.wasm;

import dev.slotpool.chicory.WasmInstancePool;
import java.util.Arrays;

/** The pools the real-module benchmarks compare, and the output check they share. */
final class Pools {
  /** What the tuned pool keeps resident per slot: Wasmtime's fixed keep-resident knob. */
  static final long TUNED_KEEP_RESIDENT = 32L << 20;

  private Pools() {}

  /** {@code WasmInstancePool.builder().build()}: the defaults, no options. */
  static WasmInstancePool defaults() {
    return WasmInstancePool.builder().build();
  }

  /** The hand-tuned pool of issue 9: thread-confined, 32 MiB kept resident per slot. */
  static WasmInstancePool tuned() {
    return WasmInstancePool.builder()
        .threadConfined(true)
        .keepResidentBytes(TUNED_KEEP_RESIDENT)
        .build();
  }

  /**
   * Fails unless {@code actual} is what plain Chicory produced: a pool that changes a module's
   * output is wrong, however fast.
   */
  static void checkSame(String module, String what, byte[] expected, byte[] actual) {
    if (!Arrays.equals(expected, actual)) {
      throw new IllegalStateException(
          module
              + ": "
              + what
              + " wrote "
              + actual.length
              + " bytes that differ from plain Chicory's "
              + expected.length
              + " (first difference at byte "
              + Arrays.mismatch(expected, actual)
              + ")");
    }
  }
}
