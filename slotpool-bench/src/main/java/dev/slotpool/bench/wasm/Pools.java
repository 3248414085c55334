package dev.slotpool.bench.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import dev.slotpool.chicory.WasmInstancePool;
import java.util.Arrays;
import java.util.function.Function;

/** The pools the real-module benchmarks compare, and the output check they share. */
final class Pools {
  /** What the tuned pool keeps resident per slot: Wasmtime's fixed keep-resident knob. */
  static final long TUNED_KEEP_RESIDENT = 32L << 20;

  private Pools() {}

  /** {@code WasmInstancePool.builder().build()}: the defaults, no options. */
  static WasmInstancePool defaults() {
    return WasmInstancePool.builder().build();
  }

  /** The hand-tuned pool: 32 MiB kept resident per slot. */
  static WasmInstancePool tuned() {
    return WasmInstancePool.builder().keepResidentBytes(TUNED_KEEP_RESIDENT).build();
  }

  /**
   * Runs one request of {@code real} on each instantiator and fails unless both pools wrote what
   * plain Chicory wrote. Benchmarks call it after measuring: run before, it would make the compiled
   * module's memory call sites see every kind of memory (see {@link RealModuleRequestBenchmark}).
   */
  static void checkOutputs(
      RealModule real,
      Function<Instance, Machine> machine,
      Instantiator plain,
      Instantiator pooledDefault,
      Instantiator pooledTuned) {
    byte[] expected = real.request(plain, machine);
    checkSame(real.name(), "the default pool", expected, real.request(pooledDefault, machine));
    checkSame(real.name(), "the tuned pool", expected, real.request(pooledTuned, machine));
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
