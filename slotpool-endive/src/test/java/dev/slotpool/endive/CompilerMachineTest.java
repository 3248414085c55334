package dev.slotpool.endive;

import static dev.slotpool.testkit.wasm.TestModules.LOADS;
import static dev.slotpool.testkit.wasm.TestModules.OFFSETS;
import static dev.slotpool.testkit.wasm.TestModules.PASSIVE;
import static dev.slotpool.testkit.wasm.TestModules.STORES;
import static dev.slotpool.testkit.wasm.TestModules.bytes;
import static dev.slotpool.testkit.wasm.TestModules.dataModule;
import static dev.slotpool.testkit.wasm.TestModules.memops;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slotpool.endive.internal.PooledLinearMemory;
import dev.slotpool.testkit.wasm.TestModules.Load;
import dev.slotpool.testkit.wasm.TestModules.Store;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import run.endive.compiler.MachineFactoryCompiler;
import run.endive.runtime.ByteArrayMemory;
import run.endive.runtime.Instance;
import run.endive.runtime.Machine;
import run.endive.runtime.Memory;
import run.endive.wasm.Parser;
import run.endive.wasm.WasmEngineException;
import run.endive.wasm.WasmModule;

/**
 * Pooled instances run by Endive's runtime compiler (bytecode generated per module instead of the
 * interpreter) against compiled instances on Endive's own {@code ByteArrayMemory}: every load and
 * store width at the boundaries, grow, fill, copy, init and drop give the same results, the same
 * traps and the same memory; a warm slot reused by a compiled instance shows the image, never the
 * previous user's bytes.
 *
 * <p>Runs in its own surefire execution on the Endive release that ships the compiler (see the
 * module's pom); the shared tests run on the interpreter.
 */
class CompilerMachineTest {
  private static final int PAGES = 2;
  private static final WasmModule MEMOPS = Parser.parse(memops(PAGES, 4, false));
  private static final Function<Instance, Machine> COMPILED =
      MachineFactoryCompiler.compile(MEMOPS);

  private static WasmInstancePool pool;

  @BeforeAll
  static void createPool() {
    pool = WasmInstancePool.builder().slots(2).maxMemoryBytes(1 << 20).build();
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @Test
  void compiledPooledInstance_runsOnThePooledMemory() {
    try (PooledInstance pooled = pool.instantiate(MEMOPS, b -> b.withMachineFactory(COMPILED))) {
      assertThat(pooled.instance().memory()).isInstanceOf(PooledLinearMemory.class);
      assertThat(pooled.instance().export("i32.load8_u@0").apply(0)[0]).isEqualTo('h');
    }
  }

  @Test
  void storesLoadsAndBulkOps_atEveryBoundary_matchEndivesOwnMemory() {
    Instance reference =
        Instance.builder(MEMOPS)
            .withMachineFactory(COMPILED)
            .withMemoryFactory(ByteArrayMemory::new)
            .build();
    try (PooledInstance pooled = pool.instantiate(MEMOPS, b -> b.withMachineFactory(COMPILED))) {
      Instance actual = pooled.instance();
      int size = PAGES * Memory.PAGE_SIZE;
      long[] addresses = {
        0, 1, 3, 65_535, 65_536, size - 8, size - 4, size - 1, size, 0xFFFF_FFFFL
      };
      long[] values = {0, -1, 0x80, 0x0123_4567_89AB_CDEFL, 0x7FC0_0001L};
      int trapped = 0;
      for (Store store : STORES) {
        for (long offset : OFFSETS) {
          for (long addr : addresses) {
            for (long value : values) {
              if (same(reference, actual, store.name() + "@" + offset, addr, value)) {
                trapped++;
              }
            }
          }
        }
      }
      for (Load load : LOADS) {
        for (long offset : OFFSETS) {
          for (long addr : addresses) {
            same(reference, actual, load.name() + "@" + offset, addr);
          }
        }
      }
      same(reference, actual, "fill", 65_530, 0xAB, 20);
      same(reference, actual, "fill", size - 2, 1, 3);
      same(reference, actual, "copy", 10, 0, 100);
      same(reference, actual, "copy", size - 4, 0, 8);
      same(reference, actual, "init0", 200, 0, PASSIVE.get(0).length);
      same(reference, actual, "drop0");
      same(reference, actual, "init0", 200, 0, 1);
      same(reference, actual, "grow", 2);
      same(reference, actual, "grow", 1);
      same(reference, actual, "size");
      same(reference, actual, "i32.store@0", 4 * 65_536 - 4, 7);
      assertThat(trapped).as("stores that trapped: the boundaries were reached").isPositive();
      int bytes = reference.memory().pages() * Memory.PAGE_SIZE;
      assertThat(actual.memory().pages()).isEqualTo(reference.memory().pages());
      assertThat(
              Arrays.equals(
                  actual.memory().readBytes(0, bytes), reference.memory().readBytes(0, bytes)))
          .as("memory contents")
          .isTrue();
    }
  }

  @Test
  void warmSlot_reusedByACompiledInstance_showsTheImageNotThePreviousUse() {
    byte[] secret = bytes("compiled module's own data");
    WasmModule module = Parser.parse(dataModule(2, 70_000, secret));
    Function<Instance, Machine> compiled = MachineFactoryCompiler.compile(module);
    try (var own = WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).build()) {
      try (PooledInstance first = own.instantiate(module, b -> b.withMachineFactory(compiled))) {
        first.instance().memory().write(70_000, bytes("overwritten by the first user"));
        first.instance().memory().writeI32(100, 0x1234_5678);
      }
      try (PooledInstance second = own.instantiate(module, b -> b.withMachineFactory(compiled))) {
        assertThat(second.reusedSlot()).isTrue();
        assertThat(second.instance().memory().readBytes(70_000, secret.length)).isEqualTo(secret);
        assertThat(second.instance().export("run").apply(100)[0]).isZero();
        assertThat(second.instance().export("run").apply(70_000)[0]).isEqualTo(secret[0]);
      }
    }
  }

  /** Calls {@code export} on both; asserts the same result or the same trap; true if trapped. */
  private static boolean same(Instance reference, Instance actual, String export, long... args) {
    String expected = outcome(() -> reference.export(export).apply(args));
    String got = outcome(() -> actual.export(export).apply(args));
    assertThat(got).as("%s%s", export, Arrays.toString(args)).isEqualTo(expected);
    return expected.startsWith("trap ");
  }

  private static String outcome(Supplier<long[]> call) {
    try {
      return "returned " + Arrays.toString(call.get());
    } catch (WasmEngineException e) {
      // The same type and message but for the address and size named, which differ where the
      // pooled memory blames the whole access and Endive's the first bad byte (as in the
      // interpreter's differential tests).
      String message = String.valueOf(e.getMessage()).replaceAll("(address|size): -?\\d+", "$1: N");
      return "trap " + e.getClass().getName() + ": " + message;
    }
  }
}
