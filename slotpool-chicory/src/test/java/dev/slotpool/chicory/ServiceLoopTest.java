package dev.slotpool.chicory;

import static com.dylibso.chicory.wasm.Parser.parse;
import static dev.slotpool.testkit.wasm.TestModules.checksumModule;
import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The way a service uses the pool: one instance per request (instantiate, call, close), with
 * requests from several modules interleaved in fewer slots than modules.
 */
class ServiceLoopTest {

  /** Handles one request: the checksum of its bytes, computed by a fresh pooled instance. */
  private static long handle(WasmInstancePool pool, WasmModule module, byte[] request) {
    try (PooledInstance pooled = pool.instantiate(module)) {
      Instance instance = pooled.instance();
      // Nothing of an earlier request is left where this one goes.
      assertThat(instance.memory().readBytes(1024, 512)).containsOnly(0);
      instance.memory().write(1024, request);
      return instance.export("sum").apply(1024, request.length)[0];
    }
  }

  @Test
  void requestLoop_manyModulesFewSlots_everyAnswerRight_andWarmSlotsReused() {
    List<WasmModule> modules = new ArrayList<>();
    for (int m = 0; m < 5; m++) {
      modules.add(parse(checksumModule("greeting of module " + m)));
    }
    var random = new SplittableRandom(7);
    try (var pool = WasmInstancePool.builder().slots(3).maxMemoryBytes(1 << 20).build()) {
      for (int i = 0; i < 400; i++) {
        // Skewed traffic: module 0 is hot, the others come now and then.
        int m = random.nextInt(4) == 0 ? random.nextInt(modules.size()) : 0;
        byte[] request = new byte[random.nextInt(1, 512)];
        random.nextBytes(request);
        long expected = 0;
        for (byte b : request) {
          expected += b & 0xFF;
        }
        assertThat(handle(pool, modules.get(m), request)).as("request %d", i).isEqualTo(expected);
      }
      var stats = pool.stats();
      assertThat(stats.inUse()).isZero();
      assertThat(stats.affinityHits()).as("hot module's warm slot").isGreaterThan(200);
    }
  }
}
