package dev.slotpool.chicory.prepared;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.RecycleStats;
import dev.slotpool.chicory.WasmInstancePool;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many threads on a pool of three slots, two prepared modules and plain instantiations of a third
 * competing for them: parked instances are taken, dropped when another module gets their slot, and
 * built again, all at once. Every request prints what plain Chicory prints, every instance starts
 * with its module's pristine memory, every prepared instantiation is counted once as recycled or
 * built, and nothing is left in use.
 */
class RecycleStressTest {
  private static final int THREADS = 8;
  private static final int REQUESTS_PER_THREAD = 150;

  @Test
  void preparedAndPlainInstantiations_competingForThreeSlots() throws Exception {
    WasmModule cGreet = Parser.parse(PreparedModuleTest.resource("c-greet.wasm"));
    WasmModule rustGreet = Parser.parse(PreparedModuleTest.resource("rust-greet.wasm"));
    byte[] cPristine = pristine(cGreet);
    byte[] rustPristine = pristine(rustGreet);
    String cExpected = expected(cGreet, "Ada");
    String rustExpected = expected(rustGreet, "Ada");
    byte[] plainModule = dev.slotpool.testkit.wasm.TestModules.checksumModule("Hi");
    WasmModule other = Parser.parse(plainModule);

    try (var pool = WasmInstancePool.builder().slots(3).build()) {
      PreparedModule<WasiOptions> c = pool.prepare(cGreet, Linker.wasi());
      PreparedModule<WasiOptions> rust = pool.prepare(rustGreet, Linker.wasi());
      ExecutorService executor = Executors.newFixedThreadPool(THREADS);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        long seed = t;
        Callable<Integer> worker =
            () -> {
              var random = new SplittableRandom(seed);
              int prepared = 0;
              for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                switch (random.nextInt(5)) {
                  case 0, 1 -> {
                    request(c, cPristine, cExpected);
                    prepared++;
                  }
                  case 2, 3 -> {
                    request(rust, rustPristine, rustExpected);
                    prepared++;
                  }
                  default -> {
                    try (PooledInstance pooled = pool.instantiate(other)) {
                      assertThat(pooled.instance().export("sum").apply(0, 4)[0]).isPositive();
                    }
                  }
                }
              }
              return prepared;
            };
        results.add(executor.submit(worker));
      }
      int prepared = 0;
      for (Future<Integer> result : results) {
        prepared += result.get(2, TimeUnit.MINUTES);
      }
      executor.shutdown();
      assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();

      RecycleStats stats = pool.recycleStats();
      assertThat(stats.recycled() + stats.built()).as("%s", stats).isEqualTo(prepared);
      assertThat(stats.recycled()).as("%s", stats).isPositive();
      assertThat(stats.notRecycled()).containsOnlyKeys(RecycleStats.Reason.NO_INSTANCE_ON_SLOT);
      assertThat(pool.stats().inUse()).isZero();
      assertThat(pool.stats().leakedLeases()).isZero();
      assertThat(pool.instanceStats().running()).isZero();
    }
  }

  private static void request(
      PreparedModule<WasiOptions> module, byte[] pristine, String expected) {
    var out = new ByteArrayOutputStream();
    try (PooledInstance pooled = module.instantiate(PreparedModuleTest.options("Ada", out))) {
      Instance instance = pooled.instance();
      assertThat(Arrays.equals(memory(instance), pristine))
          .as("slot %d starts with the module's pristine memory", pooled.slot())
          .isTrue();
      PreparedModuleTest.run(instance);
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
  }

  private static byte[] pristine(WasmModule module) {
    try (var pool = WasmInstancePool.builder().slots(1).build();
        PooledInstance pooled =
            pool.prepare(module, Linker.wasi())
                .instantiate(PreparedModuleTest.options("Ada", new ByteArrayOutputStream()))) {
      return memory(pooled.instance());
    }
  }

  private static String expected(WasmModule module, String who) {
    var out = new ByteArrayOutputStream();
    PreparedModuleTest.plain(module, PreparedModuleTest.options(who, out));
    return out.toString(StandardCharsets.UTF_8);
  }

  private static byte[] memory(Instance instance) {
    return instance.memory().readBytes(0, instance.memory().pages() * 65_536);
  }
}
