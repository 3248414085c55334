package dev.slotpool.bench.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Makes one instance of a module for one request, runs the request on it and drops it: the part of
 * a request that differs between plain Chicory and a pool.
 */
@FunctionalInterface
public interface Instantiator {
  /**
   * Builds an instance of {@code module} with {@code customizer} applied to Chicory's builder
   * (imports, machine, start flag), applies {@code body} to it and releases the instance, also when
   * {@code body} throws.
   */
  <T> T run(WasmModule module, Consumer<Instance.Builder> customizer, Function<Instance, T> body);

  /** Plain Chicory: {@code Instance.builder(module)...build()}, its default memory. */
  static Instantiator plain() {
    return new Instantiator() {
      @Override
      public <T> T run(
          WasmModule module, Consumer<Instance.Builder> customizer, Function<Instance, T> body) {
        Instance.Builder builder = Instance.builder(module);
        customizer.accept(builder);
        return body.apply(builder.build());
      }
    };
  }

  /** An instance from {@code pool}, closed (its slot released) after the body. */
  static Instantiator pooled(WasmInstancePool pool) {
    return new Instantiator() {
      @Override
      public <T> T run(
          WasmModule module, Consumer<Instance.Builder> customizer, Function<Instance, T> body) {
        try (PooledInstance pooled = pool.instantiate(module, customizer)) {
          return body.apply(pooled.instance());
        }
      }
    };
  }
}
