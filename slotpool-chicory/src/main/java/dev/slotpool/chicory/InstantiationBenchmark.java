package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Times "instantiate, call one export, close" for a WebAssembly module three ways, for the {@code
 * slotpool bench wasm FILE.wasm} command and anyone sizing a pool without JMH:
 *
 * <ul>
 *   <li>{@link Mode#DEFAULT}: Chicory alone, {@code Instance.builder(module).build()}, whose memory
 *       is allocated and filled from the data segments every time;
 *   <li>{@link Mode#POOLED_COLD}: a one-slot {@link WasmInstancePool} shared by two parses of the
 *       module, taken in turn, so every instantiation finds the slot holding the other one's memory
 *       and maps its own image afresh (an affinity miss);
 *   <li>{@link Mode#POOLED_WARM}: the same module again and again, so every instantiation is a warm
 *       affinity hit that maps nothing.
 * </ul>
 *
 * <p>The pools are thread-confined and keep 1 MiB resident per slot, the settings for one instance
 * per request. A plain timed loop after a warm-up, not JMH: good for ratios on a quiet machine, not
 * for publication (the JMH benchmarks in {@code slotpool-bench} are). Not thread-safe.
 *
 * <pre>{@code
 * var bench = InstantiationBenchmark.of(Files.readAllBytes(path), "run", b -> {});
 * for (var r : bench.measureAll(Duration.ofSeconds(1), Duration.ofSeconds(2))) {
 *   System.out.printf("%-12s %10.1f us/op%n", r.mode(), r.nanosPerOp() / 1000);
 * }
 * }</pre>
 */
public final class InstantiationBenchmark {

  /** How instances are made; see the class documentation. */
  public enum Mode {
    DEFAULT,
    POOLED_COLD,
    POOLED_WARM
  }

  /** The outcome of one timed loop: {@code iterations} round trips at {@code nanosPerOp} each. */
  public record Result(Mode mode, long iterations, double nanosPerOp) {}

  private final WasmModule module;
  private final WasmModule twin;
  private final String export;
  private final Consumer<Instance.Builder> customizer;
  private final long maxMemoryBytes;
  private long sink;

  private InstantiationBenchmark(
      WasmModule module, WasmModule twin, String export, Consumer<Instance.Builder> customizer) {
    this.module = module;
    this.twin = twin;
    this.export = export;
    this.customizer = customizer;
    // Room to grow as Chicory's own memory would, within reason: the reservation is only virtual.
    this.maxMemoryBytes = Math.max(2 * maxInitialBytes(module), 64L << 20);
  }

  /**
   * Prepares to time {@code wasm}. Each round trip calls {@code export} with zero for every
   * argument, or calls nothing if it is null; {@code customizer} supplies imports (WASI, host
   * functions) as for {@link WasmInstancePool#instantiate(WasmModule, Consumer)}.
   *
   * @throws com.dylibso.chicory.wasm.ChicoryException if the module does not parse
   * @throws IllegalArgumentException if {@code export} is not an exported function
   */
  public static InstantiationBenchmark of(
      byte[] wasm, String export, Consumer<Instance.Builder> customizer) {
    Objects.requireNonNull(wasm, "wasm");
    Objects.requireNonNull(customizer, "customizer");
    WasmModule module = Parser.parse(wasm);
    if (export != null) {
      boolean found = false;
      var exports = module.exportSection();
      for (int i = 0; i < exports.exportCount(); i++) {
        var e = exports.getExport(i);
        found |= e.name().equals(export) && e.exportType() == ExternalType.FUNCTION;
      }
      if (!found) {
        throw new IllegalArgumentException(
            "export: " + export + " (expected: the name of an exported function)");
      }
    }
    return new InstantiationBenchmark(module, Parser.parse(wasm), export, customizer);
  }

  /** Times every mode in turn, each after its own warm-up. */
  public List<Result> measureAll(Duration warmup, Duration measurement) {
    return List.of(
        measure(Mode.DEFAULT, warmup, measurement),
        measure(Mode.POOLED_COLD, warmup, measurement),
        measure(Mode.POOLED_WARM, warmup, measurement));
  }

  /** Runs {@code mode} for {@code warmup}, then times it for {@code measurement}. */
  public Result measure(Mode mode, Duration warmup, Duration measurement) {
    Objects.requireNonNull(mode, "mode");
    if (mode == Mode.DEFAULT) {
      loop(warmup, this::defaultRoundTrip);
      return time(mode, measurement, this::defaultRoundTrip);
    }
    try (var pool =
        WasmInstancePool.builder()
            .slots(1)
            .maxMemoryBytes(maxMemoryBytes)
            .keepResidentBytes(1 << 20)
            .threadConfined(true)
            .build()) {
      Runnable trip =
          (mode == Mode.POOLED_WARM)
              ? () -> pooledRoundTrip(pool, module)
              : new Runnable() {
                private boolean flip;

                @Override
                public void run() {
                  flip = !flip;
                  pooledRoundTrip(pool, flip ? module : twin);
                }
              };
      loop(warmup, trip);
      return time(mode, measurement, trip);
    }
  }

  private void defaultRoundTrip() {
    Instance.Builder builder = Instance.builder(module);
    customizer.accept(builder);
    call(builder.build());
  }

  private void pooledRoundTrip(WasmInstancePool pool, WasmModule which) {
    try (PooledInstance pooled = pool.instantiate(which, customizer)) {
      call(pooled.instance());
    }
  }

  private void call(Instance instance) {
    if (export != null) {
      int params = instance.exportType(export).params().size();
      long[] result = instance.export(export).apply(new long[params]);
      sink += (result == null || result.length == 0) ? 1 : result[0];
    }
  }

  private static long loop(Duration duration, Runnable trip) {
    long end = System.nanoTime() + duration.toNanos();
    long n = 0;
    do {
      trip.run();
      n++;
    } while (System.nanoTime() < end);
    return n;
  }

  private Result time(Mode mode, Duration duration, Runnable trip) {
    long start = System.nanoTime();
    long n = loop(duration, trip);
    long elapsed = System.nanoTime() - start;
    return new Result(mode, n, (double) elapsed / n);
  }

  /** Keeps the calls' results observable so that nothing is optimised away. */
  long sink() {
    return sink;
  }

  private static long maxInitialBytes(WasmModule module) {
    long max = 0;
    var memories = module.memorySection();
    if (memories.isPresent()) {
      for (int i = 0; i < memories.get().memoryCount(); i++) {
        long bytes = (long) memories.get().getMemory(i).limits().initialPages() * 65_536;
        max = Math.max(max, bytes);
      }
    }
    return max;
  }
}
