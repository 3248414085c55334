package dev.slotpool.chicory.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.SnapshotWriter;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import dev.slotpool.testkit.quickjs.QuickJs;
import io.roastedroot.quickjs4j.core.JavyPluginModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

/**
 * QuickJS written as a module after its init, a prelude and the compilation of a handler: plain
 * Chicory instantiates it with quickjs4j's build-time-compiled machine (the code section and the
 * function indices are unchanged), and the handler prints what it prints from the snapshot.
 */
class QuickJsSnapshotWriterTest {
  private static byte[] quickJsBytes() {
    try (InputStream in = JavyPluginModule.class.getResourceAsStream("JavyPluginModule.meta")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void writtenModuleRunsTheHandlerAsTheSnapshot() {
    String prelude = "globalThis.greet = (n) => 'hi ' + n + ' ' + [3, 1, 2].sort().join();";
    String request = "console.log(greet('file'), typeof greet);";
    QuickJs.Script[] handler = new QuickJs.Script[1];
    try (var pool = WasmInstancePool.builder().slots(2).build();
        var host = new QuickJs.Host()) {
      WasmSnapshot snapshot =
          pool.snapshot(
              QuickJs.MODULE,
              host.customizer(),
              i -> {
                QuickJs.init(prelude).accept(i);
                handler[0] = QuickJs.compile(i, request);
              });
      byte[] written = SnapshotWriter.toBytes(snapshot, quickJsBytes());
      host.reset();
      String expected;
      try (PooledInstance pooled = pool.instantiate(snapshot)) {
        QuickJs.run(pooled.instance(), handler[0]);
        expected = host.stdout();
      }
      assertThat(expected).isEqualTo("hi file 1,2,3 function\n");
      try (var fileHost = new QuickJs.Host()) {
        var builder =
            Instance.builder(Parser.parse(written)).withMemoryFactory(ByteArrayMemory::new);
        fileHost.customizer().accept(builder);
        Instance fromFile = builder.build();
        QuickJs.run(fromFile, handler[0]);
        assertThat(fileHost.stdout()).isEqualTo(expected);
      }
      snapshot.close();
    }
  }
}
