package dev.slotpool.chicory.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Value;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.SnapshotWriter;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import dev.slotpool.testkit.wasm.WasmBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A snapshot written as a module, instantiated by plain Chicory without running the init, behaves
 * exactly as an instance from the snapshot; what the writer cannot express is refused.
 */
class SnapshotWriterTest {
  private static final byte[] NONE = {};
  private static final byte[] I32 = {0x7F};

  private static WasmInstancePool pool() {
    return WasmInstancePool.builder().slots(2).maxMemoryBytes(1 << 20).build();
  }

  private static Instance plain(byte[] module, Consumer<Instance.Builder> customizer) {
    var builder = Instance.builder(Parser.parse(module));
    customizer.accept(builder);
    return builder.build();
  }

  private static byte[] memory(Instance instance) {
    Memory memory = instance.memory();
    return memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE);
  }

  @ParameterizedTest(name = "start section: {0}")
  @ValueSource(booleans = {false, true})
  void reactor_writtenModuleBehavesAsTheSnapshot(boolean start) {
    byte[] original = ReactorModules.reactor(start);
    try (var pool = pool();
        WasmSnapshot snapshot =
            pool.snapshot(Parser.parse(original), i -> i.export("_initialize").apply())) {
      var out = new ByteArrayOutputStream();
      SnapshotWriter.write(snapshot, original, out, "_initialize");
      byte[] written = out.toByteArray();

      WasmModule parsed = Parser.parse(written);
      assertThat(parsed.startSection()).as("start section").isEmpty();
      for (int i = 0; i < parsed.exportSection().exportCount(); i++) {
        assertThat(parsed.exportSection().getExport(i).name()).isNotEqualTo("_initialize");
      }
      Instance fromFile = plain(written, b -> {});
      List<Object> expected;
      byte[] expectedMemory;
      try (PooledInstance pooled = pool.instantiate(snapshot)) {
        expectedMemory = memory(pooled.instance());
        expected = ReactorSnapshotTest.observe(pooled.instance());
      }
      assertThat(memory(fromFile)).as("memory").isEqualTo(expectedMemory);
      assertThat(ReactorSnapshotTest.observe(fromFile)).isEqualTo(expected);
    }
  }

  /**
   * Memory 1..4 pages, an imported global as a segment offset, a passive segment; {@code init}
   * fills [1000, 6000) with 0xAB, grows by a page (storing the old size at 44), stores 77 at 70000,
   * stores 5 at 40 and drops the passive segment. Exports {@code load(addr)}, {@code copy()}
   * (memory.init of the passive segment to 200: traps once dropped), {@code store(addr, v)}.
   */
  private static byte[] synthetic() {
    var b = new WasmBuilder();
    int base = b.importGlobalI32("env", "base");
    b.memory(1, 4).exportMemory("memory");
    b.activeData(0, 16, "hello".getBytes(StandardCharsets.US_ASCII));
    b.activeDataAtGlobal(base, "at-global".getBytes(StandardCharsets.US_ASCII));
    int passive = b.passiveData("passive!".getBytes(StandardCharsets.US_ASCII));
    b.function(
        "init",
        NONE,
        NONE,
        new WasmBuilder.Code()
            .i32Const(1000)
            .i32Const(0xAB)
            .i32Const(5000)
            .memoryFill()
            .i32Const(44)
            .i32Const(1)
            .memoryGrow()
            .memOp(0x36, 0)
            .i32Const(70000)
            .i32Const(77)
            .memOp(0x36, 0)
            .i32Const(40)
            .i32Const(5)
            .memOp(0x36, 0)
            .dataDrop(passive));
    b.function("load", I32, I32, new WasmBuilder.Code().localGet(0).memOp(0x28, 0));
    b.function(
        "copy",
        NONE,
        NONE,
        new WasmBuilder.Code().i32Const(200).i32Const(0).i32Const(8).memoryInit(passive));
    b.function(
        "store",
        new byte[] {0x7F, 0x7F},
        NONE,
        new WasmBuilder.Code().localGet(0).localGet(1).memOp(0x36, 0));
    return b.build();
  }

  private static final Consumer<Instance.Builder> ENV =
      b ->
          b.withImportValues(
              ImportValues.builder()
                  .addGlobal(new ImportGlobal("env", "base", new GlobalInstance(Value.i32(300))))
                  .build());

  private static List<Object> observeSynthetic(Instance instance) {
    var seen = new ArrayList<Object>();
    seen.add(instance.memory().pages());
    for (int addr : new int[] {16, 40, 44, 300, 996, 1000, 5996, 6000, 70000, 200}) {
      seen.add(instance.export("load").apply(addr)[0]);
    }
    try {
      instance.export("copy").apply();
      seen.add("no trap");
    } catch (RuntimeException e) {
      seen.add(e.getClass().getSimpleName());
    }
    instance.export("store").apply(100, 9);
    seen.add(instance.export("load").apply(100)[0]);
    return seen;
  }

  @Test
  void synthetic_writtenModuleBehavesAsTheSnapshot_andHoldsOnlyNonZeroRuns() {
    byte[] original = synthetic();
    try (var pool = pool();
        WasmSnapshot snapshot =
            pool.snapshot(Parser.parse(original), ENV, i -> i.export("init").apply())) {
      byte[] written = SnapshotWriter.toBytes(snapshot, original, "init");
      List<Object> expected;
      byte[] expectedMemory;
      try (PooledInstance pooled = pool.instantiate(snapshot)) {
        expectedMemory = memory(pooled.instance());
        expected = observeSynthetic(pooled.instance());
      }
      Instance fromFile = plain(written, ENV);
      assertThat(memory(fromFile)).as("memory").isEqualTo(expectedMemory);
      assertThat(observeSynthetic(fromFile)).isEqualTo(expected);
      assertThat(expected.get(0)).as("pages after init").isEqualTo(2);
      assertThat(expected.get(11)).as("memory.init after data.drop").isNotEqualTo("no trap");
      assertThat(written.length)
          .as("two pages of memory, only the non-zero runs written")
          .isLessThan(6000);
    }
  }

  @Test
  void refusals_nameWhatCannotBeWritten() {
    byte[] original = ReactorModules.reactor(false);
    try (var pool = pool()) {
      WasmSnapshot snapshot =
          pool.snapshot(Parser.parse(original), i -> i.export("_initialize").apply());
      assertThatThrownBy(() -> SnapshotWriter.toBytes(snapshot, synthetic()))
          .isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("not the module the snapshot was taken of");
      assertThatThrownBy(() -> SnapshotWriter.toBytes(snapshot, original, "nope"))
          .isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("no export named nope");
      snapshot.close();
      assertThatThrownBy(() -> SnapshotWriter.toBytes(snapshot, original))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
    }
  }
}
