package dev.slotpool.chicory;

import static com.dylibso.chicory.wasm.Parser.parse;
import static dev.slotpool.testkit.wasm.TestModules.bytes;
import static dev.slotpool.testkit.wasm.TestModules.dataModule;
import static dev.slotpool.testkit.wasm.TestModules.memops;
import static dev.slotpool.testkit.wasm.TestModules.noMemoryModule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.slotpool.memory.PoolExhaustedException;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pool's lifecycle: warm hits, exhaustion, failures that give the slot back, customizers. */
class WasmInstancePoolTest {
  private static final WasmModule MEMOPS = parse(memops(2, 4, false));
  private static final WasmModule DATA = parse(dataModule(4, 100_000, bytes("some data")));

  private WasmInstancePool pool;

  @BeforeEach
  void createPool() {
    pool = WasmInstancePool.builder().slots(2).maxMemoryBytes(1 << 20).build();
  }

  @AfterEach
  void closePool() {
    pool.close();
  }

  private static byte[] contents(Instance instance) {
    Memory memory = instance.memory();
    return memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE);
  }

  @Test
  void instantiate_sameModuleAgain_isAWarmAffinityHitInTheSameSlot() {
    int slot;
    try (var first = pool.instantiate(DATA)) {
      slot = first.slot();
      assertThat(first.reusedSlot()).isFalse();
    }
    try (var second = pool.instantiate(DATA)) {
      assertThat(second.slot()).isEqualTo(slot);
      assertThat(second.reusedSlot()).isTrue();
      assertThat(second.instance().export("run").apply(100_000)[0]).isEqualTo('s');
    }
    assertThat(pool.stats().affinityHits()).isEqualTo(1);
    assertThat(pool.stats().inUse()).isZero();
  }

  @Test
  void purge_dropsTheModulesAffinity_andTheNextInstanceIsStillPristine() {
    try (var first = pool.instantiate(DATA)) {
      first.instance().memory().writeByte(100_000, (byte) 'X');
    }
    assertThat(pool.purge(DATA)).isEqualTo(1);
    assertThat(pool.purge(DATA)).as("nothing left to purge").isZero();
    try (var next = pool.instantiate(DATA)) {
      assertThat(next.reusedSlot()).isFalse();
      assertThat(next.instance().export("run").apply(100_000)[0]).isEqualTo('s');
    }
  }

  @Test
  void instantiate_everySlotInUse_throwsAndChangesNothing() {
    try (var a = pool.instantiate(MEMOPS);
        var b = pool.instantiate(DATA)) {
      assertThatThrownBy(() -> pool.instantiate(MEMOPS, Duration.ZERO))
          .isInstanceOf(PoolExhaustedException.class);
      assertThat(pool.stats().inUse()).isEqualTo(2);
      assertThat(a.instance().memory().pages()).isEqualTo(2);
      assertThat(b.instance().memory().pages()).isEqualTo(4);
    }
    try (var again = pool.instantiate(MEMOPS)) {
      assertThat(again.instance().memory().pages()).isEqualTo(2);
    }
  }

  @Test
  void instantiate_moduleWithoutMemory_takesNoSlot() {
    try (var instance = pool.instantiate(parse(noMemoryModule()))) {
      assertThat(instance.slot()).isEqualTo(-1);
      assertThat(instance.reusedSlot()).isFalse();
      assertThat(instance.instance().export("add").apply(2, 3)[0]).isEqualTo(5);
      assertThat(pool.stats().inUse()).isZero();
    }
  }

  @Test
  void instantiate_initialMemoryLargerThanASlot_failsWithAClearMessage() {
    WasmModule big = parse(dataModule(17, 0, bytes("x")));
    assertThatThrownBy(() -> pool.instantiate(big))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("starts at 17 pages (1114112 bytes)")
        .hasMessageContaining("maxMemoryBytes, 1048576");
    assertThat(pool.stats().inUse()).isZero();
  }

  @Test
  void instantiate_sharedMemory_isRefusedAndLeaksNothing() {
    assertThatThrownBy(
            () -> pool.instantiate(MEMOPS, b -> b.withMemoryLimits(new MemoryLimits(2, 4, true))))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("shared");
    assertThat(pool.stats().inUse()).isZero();
  }

  @Test
  void grow_pastThePoolsMaxMemoryBytes_failsLikeAnyRefusedGrow() {
    WasmModule unbounded = parse(memops(2, -1, false));
    try (var instance = pool.instantiate(unbounded)) {
      Memory memory = instance.instance().memory();
      assertThat(memory.maximumPages()).isEqualTo(Memory.RUNTIME_MAX_PAGES);
      assertThat(memory.grow(14)).isEqualTo(2);
      assertThat(memory.grow(1)).isEqualTo(-1);
      assertThat(memory.pages()).isEqualTo(16);
      memory.writeLong(16 * 65_536 - 8, 42);
      assertThat(memory.readLong(16 * 65_536 - 8)).isEqualTo(42);
    }
  }

  @Test
  void customizer_withoutInitialization_seesZerosUntilInitializedLikeChicory() {
    Instance reference =
        Instance.builder(MEMOPS)
            .withInitialize(false)
            .withMemoryFactory(ByteArrayMemory::new)
            .build();
    try (var pooled = pool.instantiate(MEMOPS, b -> b.withInitialize(false))) {
      assertThat(contents(pooled.instance())).isEqualTo(contents(reference));
      assertThat(contents(pooled.instance())).containsOnly(0);
      reference.initialize(true);
      pooled.instance().initialize(true);
      assertThat(contents(pooled.instance())).isEqualTo(contents(reference));
    }
  }

  @Test
  void customizer_largerInitialMemory_keepsTheImageAndTheExtraPagesZero() {
    MemoryLimits bigger = new MemoryLimits(3, 4);
    Instance reference =
        Instance.builder(MEMOPS)
            .withMemoryLimits(bigger)
            .withMemoryFactory(ByteArrayMemory::new)
            .build();
    try (var pooled = pool.instantiate(MEMOPS, b -> b.withMemoryLimits(bigger))) {
      assertThat(pooled.instance().memory().pages()).isEqualTo(3);
      assertThat(contents(pooled.instance())).isEqualTo(contents(reference));
    }
  }

  @Test
  void customizer_smallerInitialMemory_failsLikeChicoryAndGivesTheSlotBack() {
    MemoryLimits smaller = new MemoryLimits(1, 4); // a data segment lies in page 2
    Throwable expected =
        catchThrowable(
            () ->
                Instance.builder(MEMOPS)
                    .withMemoryLimits(smaller)
                    .withMemoryFactory(ByteArrayMemory::new)
                    .build());
    Throwable actual =
        catchThrowable(() -> pool.instantiate(MEMOPS, b -> b.withMemoryLimits(smaller)));
    assertThat(expected).isNotNull();
    assertThat(actual).isExactlyInstanceOf(expected.getClass()).hasMessage(expected.getMessage());
    assertThat(pool.stats().inUse()).isZero();
  }

  @Test
  void customizer_machineFactory_isTheOneChicoryUses() {
    int[] machines = {0};
    try (var pooled =
        pool.instantiate(
            DATA,
            b ->
                b.withMachineFactory(
                    instance -> {
                      machines[0]++;
                      return new InterpreterMachine(instance);
                    }))) {
      assertThat(pooled.instance().export("run").apply(100_001)[0]).isEqualTo('o');
    }
    assertThat(machines[0]).isEqualTo(1);
  }

  @Test
  void instance_createdOnOneThread_runsOnAnother_closedOnAThird_slotBackAtOnce() throws Exception {
    try (var shared = WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).build()) {
      var created = new PooledInstance[1];
      var ran = new long[1];
      Thread creator = new Thread(() -> created[0] = shared.instantiate(DATA));
      creator.start();
      creator.join();
      Thread runner =
          new Thread(() -> ran[0] = created[0].instance().export("run").apply(100_001)[0]);
      runner.start();
      runner.join();
      assertThat(ran[0]).isEqualTo('o');
      Thread closer = new Thread(created[0]::close);
      closer.start();
      closer.join();
      assertThat(created[0].isClosed()).isTrue();
      assertThat(shared.stats().inUse()).as("released by the closing thread, no GC").isZero();
      assertThat(shared.stats().leakedLeases()).isZero();
      assertThat(shared.instanceStats().closedFromAnotherThread()).isEqualTo(1);
      assertThat(shared.instanceStats().cancelled()).isZero();
      assertThat(catchThrowable(() -> created[0].instance().export("run").apply(100_001)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is closed");
      assertThat(catchThrowable(() -> created[0].instance().memory().read(100_000)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is closed");
      assertThat(Thread.interrupted()).isFalse();
    }
  }

  @Test
  void arguments_null_areRejected() {
    assertThatThrownBy(() -> pool.instantiate((WasmModule) null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> pool.instantiate(MEMOPS, (Consumer<Instance.Builder>) null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> pool.instantiate(MEMOPS, (Duration) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("timeout");
    assertThatThrownBy(() -> pool.instantiate(MEMOPS, builder -> {}, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("timeout");
    assertThatThrownBy(() -> pool.purge((WasmModule) null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void purge_moduleNeverInstantiated_purgesNothing() {
    assertThat(pool.purge(MEMOPS)).isZero();
  }
}
