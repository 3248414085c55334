package dev.slotpool.chicory.real;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A quick side-by-side timing of real requests (instantiate + {@code _start} + close), plain
 * Chicory against pools, interleaved in rounds so that every mode sees the same machine noise.
 * Prints the median per request of each mode and its ratio to plain Chicory. Not a unit test; the
 * official benchmark is slotpool-bench's JMH suite.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp TEST_CLASSPATH \
 *     dev.slotpool.chicory.real.PerRequestHarness [rounds] [requestsPerRound]
 * </pre>
 */
public final class PerRequestHarness {
  private PerRequestHarness() {}

  /** Instantiates with plain Chicory: a fresh {@code ByteArrayMemory} per request. */
  static final RealModules.Instantiator PLAIN =
      (module, customizer) -> {
        Instance.Builder builder = Instance.builder(module);
        customizer.accept(builder);
        return builder.build();
      };

  /** Instantiates from {@code pool}, closing the pooled instance after the request. */
  static RealModules.Instantiator pooled(WasmInstancePool pool) {
    return new RealModules.Instantiator() {
      private final Map<Instance, PooledInstance> open = new IdentityHashMap<>();

      @Override
      public Instance instantiate(WasmModule module, Consumer<Instance.Builder> customizer) {
        PooledInstance pooled = pool.instantiate(module, customizer);
        open.put(pooled.instance(), pooled);
        return pooled.instance();
      }

      @Override
      public void close(Instance instance) {
        open.remove(instance).close();
      }
    };
  }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    Map<String, Function<RealModules.Instantiator, RealModules.Result>> requests =
        new LinkedHashMap<>();
    requests.put("wat2wasm --version", RealModules::version);
    requests.put("wat2wasm small.wat", RealModules::compileSmallWat);
    try (var defaults = WasmInstancePool.builder().build();
        var tuned = WasmInstancePool.builder().keepResidentBytes(32L << 20).build()) {
      Map<String, RealModules.Instantiator> modes = new LinkedHashMap<>();
      modes.put("plain Chicory", PLAIN);
      modes.put("default pool", pooled(defaults));
      modes.put("confined+32MiB", pooled(tuned));
      for (var request : requests.entrySet()) {
        long[][] samples = new long[modes.size()][rounds * perRound];
        for (int warm = 0; warm < 3; warm++) {
          for (var mode : modes.values()) {
            for (int i = 0; i < perRound; i++) {
              request.getValue().apply(mode);
            }
          }
        }
        for (int r = 0; r < rounds; r++) {
          int m = 0;
          for (var mode : modes.values()) {
            for (int i = 0; i < perRound; i++) {
              long start = System.nanoTime();
              var result = request.getValue().apply(mode);
              samples[m][r * perRound + i] = System.nanoTime() - start;
              if (result.exitCode() != 0) {
                throw new IllegalStateException(request.getKey() + ": " + result.stderr());
              }
            }
            m++;
          }
        }
        double plain = median(samples[0]);
        int m = 0;
        for (String mode : modes.keySet()) {
          double median = median(samples[m++]);
          System.out.printf(
              "%-22s %-16s median %9.1f us   plain/this %.2fx%n",
              request.getKey(), mode, median / 1e3, plain / median);
        }
      }
      System.out.println("default pool: " + defaults.stats());
    }
  }

  private static double median(long[] samples) {
    long[] sorted = samples.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
