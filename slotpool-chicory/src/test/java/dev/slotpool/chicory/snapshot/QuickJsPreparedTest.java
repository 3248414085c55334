package dev.slotpool.chicory.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.RecycleStats;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import dev.slotpool.testkit.quickjs.QuickJs;
import io.roastedroot.quickjs4j.core.JavyPluginModule;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A real JavaScript engine prepared from a snapshot taken after its init and a prelude: every
 * request runs on the same recycled instance, reset to the snapshot's state, and answers as a plain
 * instance that just ran the init and the prelude, although each request leaves the engine's
 * globals changed behind it.
 */
class QuickJsPreparedTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  private static final Linker<WasiOptions> LINKER =
      Linker.<WasiOptions>builder()
          .wasi(options -> options)
          .functions(
              new HostFunction(
                  "chicory",
                  "invoke",
                  FunctionType.of(
                      List.of(
                          ValType.I32,
                          ValType.I32,
                          ValType.I32,
                          ValType.I32,
                          ValType.I32,
                          ValType.I32),
                      List.of(ValType.I32)),
                  (instance, args) -> {
                    throw new UnsupportedOperationException("no Java builtins in these scripts");
                  }))
          .build();

  private static WasiOptions options(ByteArrayOutputStream stdout) {
    return WasiOptions.builder()
        .withStdout(stdout)
        .withStderr(new ByteArrayOutputStream())
        .withClock(CLOCK)
        .withRandom(new Random(1))
        .build();
  }

  private static String reference(String request) {
    try (var host = new QuickJs.Host()) {
      var builder = Instance.builder(QuickJs.MODULE).withMemoryFactory(ByteArrayMemory::new);
      host.customizer().accept(builder);
      Instance instance = builder.build();
      QuickJs.init(QuickJsSnapshotTest.PRELUDE).accept(instance);
      QuickJs.eval(instance, request);
      return host.stdout();
    }
  }

  @Test
  void everyRequestOnTheRecycledInstance_answersAsAFreshInit() {
    String expected = reference(QuickJsSnapshotTest.REQUEST);
    assertThat(expected).isEqualTo("hello world #1 sum=85344 [1,2,3] undefined\n");
    try (var pool = WasmInstancePool.builder().slots(2).build();
        var host = new QuickJs.Host();
        WasmSnapshot snapshot =
            pool.snapshot(
                QuickJs.MODULE, host.customizer(), QuickJs.init(QuickJsSnapshotTest.PRELUDE))) {
      PreparedModule<WasiOptions> prepared =
          pool.prepare(snapshot, LINKER, b -> b.withMachineFactory(JavyPluginModule::create));
      assertThat(prepared.recycles()).isTrue();
      Instance first = null;
      for (int i = 0; i < 6; i++) {
        var stdout = new ByteArrayOutputStream();
        try (PooledInstance pooled = prepared.instantiate(options(stdout))) {
          if (first == null) {
            first = pooled.instance();
          }
          assertThat(pooled.instance()).as("the same Instance, recycled").isSameAs(first);
          QuickJs.eval(pooled.instance(), QuickJsSnapshotTest.REQUEST);
        }
        assertThat(stdout.toString(StandardCharsets.UTF_8)).as("request %d", i).isEqualTo(expected);
      }
      RecycleStats stats = prepared.recycleStats();
      assertThat(stats.recycled()).isEqualTo(5);
      assertThat(stats.built()).isEqualTo(1);
    }
  }
}
