package dev.slotpool.chicory.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import dev.slotpool.testkit.quickjs.QuickJs;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A real JavaScript engine started from a snapshot taken after its init and a prelude behaves as
 * one on which the init and the prelude were just run, and no request sees another's writes.
 */
class QuickJsSnapshotTest {
  static final String PRELUDE =
      """
      globalThis.served = 0;
      globalThis.table = Array.from({length: 64}, (_, i) => i * i);
      globalThis.greet = function (name) {
        served++;
        return 'hello ' + name + ' #' + served + ' sum=' + table.reduce((a, b) => a + b, 0);
      };
      """;
  static final String REQUEST =
      """
      console.log(greet('world'), JSON.stringify([3, 1, 2].sort()), typeof leaked);
      globalThis.leaked = 'secret';
      table.fill(7);
      """;

  /** Runs the request on a plain Chicory instance after the init and the prelude. */
  private static String reference(String request) {
    try (var host = new QuickJs.Host()) {
      var builder = Instance.builder(QuickJs.MODULE).withMemoryFactory(ByteArrayMemory::new);
      host.customizer().accept(builder);
      Instance instance = builder.build();
      try {
        QuickJs.init(PRELUDE).accept(instance);
        QuickJs.eval(instance, request);
      } catch (RuntimeException e) {
        throw new AssertionError("stderr: " + host.stderr() + " stdout: " + host.stdout(), e);
      }
      return host.stdout();
    }
  }

  private static String fromSnapshot(WasmInstancePool pool, WasmSnapshot snapshot, String request) {
    try (var host = new QuickJs.Host();
        PooledInstance pooled = pool.instantiate(snapshot, host.customizer())) {
      QuickJs.eval(pooled.instance(), request);
      return host.stdout();
    }
  }

  private static WasmSnapshot take(WasmInstancePool pool) {
    try (var host = new QuickJs.Host()) {
      return pool.snapshot(QuickJs.MODULE, host.customizer(), QuickJs.init(PRELUDE));
    }
  }

  @Test
  void snapshotInstance_hasTheStateOfAFreshInit_andAnswersAsIt() {
    String expected = reference(REQUEST);
    assertThat(expected).isEqualTo("hello world #1 sum=85344 [1,2,3] undefined\n");
    try (var pool = WasmInstancePool.builder().slots(2).build();
        var snapshot = take(pool)) {
      // The memory, globals and tables equal those of an instance that just ran the init.
      Instance fresh;
      try (var host = new QuickJs.Host()) {
        var builder = Instance.builder(QuickJs.MODULE).withMemoryFactory(ByteArrayMemory::new);
        host.customizer().accept(builder);
        fresh = builder.build();
        QuickJs.init(PRELUDE).accept(fresh);
      }
      try (var host = new QuickJs.Host();
          PooledInstance pooled = pool.instantiate(snapshot, host.customizer())) {
        Instance restored = pooled.instance();
        assertThat(restored.memory().pages()).isEqualTo(fresh.memory().pages());
        assertThat(contents(restored.memory())).isEqualTo(contents(fresh.memory()));
        for (int g = 0; g < fresh.globalCount(); g++) {
          assertThat(restored.global(g).getValueLow())
              .as("global %d", g)
              .isEqualTo(fresh.global(g).getValueLow());
        }
        for (int t = 0; t < fresh.tableCount(); t++) {
          assertThat(restored.table(t).size()).isEqualTo(fresh.table(t).size());
          for (int j = 0; j < fresh.table(t).size(); j++) {
            assertThat(restored.table(t).ref(j)).isEqualTo(fresh.table(t).ref(j));
          }
        }
      }
      for (int i = 0; i < 3; i++) {
        assertThat(fromSnapshot(pool, snapshot, REQUEST)).as("request %d", i).isEqualTo(expected);
      }
      assertThat(snapshot.instantiations()).isEqualTo(4);
    }
  }

  @ParameterizedTest(name = "keepResident={0} pagemap={1}")
  @CsvSource({"0,true", "0,false", "67108864,true", "67108864,false"})
  void requests_fromOneSnapshot_neverSeeEachOthersWrites(long keepResident, boolean pagemap) {
    Function<WasmInstancePool.Builder, WasmInstancePool.Builder> config =
        b -> b.slots(1).keepResidentBytes(keepResident).usePagemapScan(pagemap);
    try (var pool = config.apply(WasmInstancePool.builder()).build();
        var snapshot = take(pool)) {
      String expected = reference(REQUEST);
      for (int i = 0; i < 4; i++) {
        assertThat(fromSnapshot(pool, snapshot, REQUEST)).as("request %d", i).isEqualTo(expected);
      }
      assertThat(pool.stats().affinityHits())
          .as("warm slot of the snapshot")
          .isGreaterThanOrEqualTo(3);
    }
  }

  private static byte[] contents(Memory memory) {
    return memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE);
  }
}
