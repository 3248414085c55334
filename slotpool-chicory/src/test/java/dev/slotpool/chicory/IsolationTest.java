package dev.slotpool.chicory;

import static com.dylibso.chicory.wasm.Parser.parse;
import static dev.slotpool.testkit.wasm.TestModules.bytes;
import static dev.slotpool.testkit.wasm.TestModules.dataModule;
import static dev.slotpool.testkit.wasm.TestModules.memops;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What one user of a slot leaves behind is invisible to the next: the same module sees its pristine
 * data segments, another module sees none of the bytes, and a closed instance can reach nothing at
 * all. Each test runs with a one-slot pool so that every instance shares the slot.
 */
class IsolationTest {
  private static final byte DIRT = (byte) 0xAA;

  private static final WasmModule A = parse(memops(2, 4, false));
  private static final WasmModule C = parse(dataModule(3, 70_000, bytes("module C's own data")));

  private static WasmInstancePool onePool(long keepResidentBytes, boolean pagemapScan) {
    return WasmInstancePool.builder()
        .slots(1)
        .maxMemoryBytes(1 << 20)
        .keepResidentBytes(keepResidentBytes)
        .usePagemapScan(pagemapScan)
        .build();
  }

  /** Fills the whole memory with DIRT, grows it by two pages and dirties those too. */
  private static void dirty(Instance instance) {
    Memory memory = instance.memory();
    memory.fill(DIRT, 0, memory.pages() * Memory.PAGE_SIZE);
    int before = memory.grow(2);
    assertThat(before).isNotNegative();
    memory.fill(DIRT, before * Memory.PAGE_SIZE, memory.pages() * Memory.PAGE_SIZE);
  }

  private static byte[] contents(Instance instance) {
    Memory memory = instance.memory();
    return memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE);
  }

  private static byte[] pristine(WasmModule module) {
    return contents(Instance.builder(module).withMemoryFactory(ByteArrayMemory::new).build());
  }

  @ParameterizedTest
  @CsvSource({"0,true", "65536,true", "1048576,true", "0,false", "1048576,false"})
  void sameModule_afterADirtyUser_seesPristineDataSegments(
      long keepResidentBytes, boolean pagemapScan) {
    try (var pool = onePool(keepResidentBytes, pagemapScan)) {
      int slot;
      try (var a = pool.instantiate(A)) {
        slot = a.slot();
        dirty(a.instance());
      }
      try (var b = pool.instantiate(A)) {
        assertThat(b.slot()).isEqualTo(slot);
        assertThat(b.instance().memory().pages()).isEqualTo(2);
        assertThat(contents(b.instance())).isEqualTo(pristine(A));
        // The pages A grew into read as zero when B grows into them.
        assertThat(b.instance().memory().grow(2)).isEqualTo(2);
        assertThat(b.instance().memory().readBytes(2 * 65_536, 2 * 65_536)).containsOnly(0);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"0,true", "65536,true", "1048576,true", "0,false", "1048576,false"})
  void otherModule_inTheSameSlot_seesNoneOfTheFormerUsersBytes(
      long keepResidentBytes, boolean pagemapScan) {
    try (var pool = onePool(keepResidentBytes, pagemapScan)) {
      int slot;
      try (var a = pool.instantiate(A)) {
        slot = a.slot();
        dirty(a.instance());
      }
      try (var c = pool.instantiate(C)) {
        assertThat(c.slot()).isEqualTo(slot);
        byte[] seen = contents(c.instance());
        assertThat(seen).isEqualTo(pristine(C));
        assertThat(seen).doesNotContain(DIRT);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"0,false", "65536,false", "0,true", "65536,true"})
  void sameBytesParsedTwice_areTwoModules_andStillIsolated(
      long keepResidentBytes, boolean pagemapScan) {
    WasmModule again = parse(memops(2, 4, false));
    try (var pool = onePool(keepResidentBytes, pagemapScan)) {
      try (var a = pool.instantiate(A)) {
        dirty(a.instance());
      }
      try (var b = pool.instantiate(again)) {
        assertThat(b.reusedSlot()).as("a different parse is a different key").isFalse();
        assertThat(contents(b.instance())).isEqualTo(pristine(again));
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"0,false", "65536,false", "0,true", "65536,true"})
  void closedInstance_throwsOnEveryAccess_andNeverSeesTheNextUser(
      long keepResidentBytes, boolean pagemapScan) {
    try (var pool = onePool(keepResidentBytes, pagemapScan)) {
      var a = pool.instantiate(A);
      Instance stale = a.instance();
      Memory staleMemory = stale.memory();
      a.close();
      a.close(); // harmless
      assertThat(a.isClosed()).isTrue();

      try (var b = pool.instantiate(C)) {
        b.instance().memory().fill((byte) 0x5E, 0, 65_536);
        assertThatThrownBy(() -> staleMemory.read(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> staleMemory.readInt(65_532))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> staleMemory.readBytes(0, 16))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> staleMemory.writeLong(8, -1L))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> staleMemory.fill((byte) 1, 0, 8))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> staleMemory.copy(0, 8, 8))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> staleMemory.grow(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> stale.export("i32.load@0").apply(0))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> stale.export("i32.store@0").apply(0, 7))
            .isInstanceOf(IllegalStateException.class);
        assertThat(b.instance().memory().read(0)).as("B's memory untouched").isEqualTo((byte) 0x5E);
      }
    }
  }
}
