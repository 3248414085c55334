package dev.slotpool.chicory;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Value;
import dev.slotpool.chicory.internal.PooledLinearMemory;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Runs the same calls on a pooled instance and on a reference instance of the same module whose
 * memory is Chicory's own {@link ByteArrayMemory}, and asserts that they agree: same results, same
 * traps (exception type and message), and the same memory contents afterwards.
 */
final class Differential implements AutoCloseable {
  private final PooledInstance pooled;
  private final Instance reference;
  private final String context;
  private int brokenReferenceCalls;

  private Differential(PooledInstance pooled, Instance reference, String context) {
    this.pooled = pooled;
    this.reference = reference;
    this.context = context;
  }

  /** Instantiates {@code module} both ways; {@code globalOffset} feeds {@code env.offset}. */
  static Differential of(
      WasmInstancePool pool, WasmModule module, Integer globalOffset, String context) {
    Consumer<Instance.Builder> imports =
        b -> {
          if (globalOffset != null) {
            b.withImportValues(
                ImportValues.builder()
                    .addGlobal(
                        new ImportGlobal(
                            "env", "offset", new GlobalInstance(Value.i32(globalOffset))))
                    .build());
          }
        };
    Instance.Builder refBuilder = Instance.builder(module).withMemoryFactory(ByteArrayMemory::new);
    imports.accept(refBuilder);
    Instance reference = refBuilder.build();
    PooledInstance pooled = pool.instantiate(module, imports);
    assertThat(pooled.instance().memory()).isInstanceOf(PooledLinearMemory.class);
    var d = new Differential(pooled, reference, context);
    d.assertSameMemory("after instantiation");
    return d;
  }

  Instance pooled() {
    return pooled.instance();
  }

  Instance reference() {
    return reference;
  }

  /** Calls {@code export} on both; asserts they agree; returns the reference outcome. */
  Outcome call(String export, long... args) {
    Outcome expected = Outcome.of(() -> reference.export(export).apply(args));
    Outcome actual = Outcome.of(() -> pooled.instance().export(export).apply(args));
    String what = context + ": " + export + Arrays.toString(args);
    expected.assertMatchedBy(actual, what);
    if (expected.trapped() && !(expected.thrown() instanceof ChicoryException)) {
      // Chicory's memory failed half-way (see Outcome): it may have written part of the request,
      // where the pooled memory rightly trapped first. Carry on from the pooled memory's state.
      int bytes = reference.memory().pages() * Memory.PAGE_SIZE;
      reference.memory().write(0, pooled.instance().memory().readBytes(0, bytes));
      brokenReferenceCalls++;
    }
    return expected;
  }

  /** How many calls made Chicory's own memory fail with a raw exception instead of a trap. */
  int brokenReferenceCalls() {
    return brokenReferenceCalls;
  }

  void assertSameMemory(String when) {
    Memory expected = reference.memory();
    Memory actual = pooled.instance().memory();
    assertThat(actual.pages()).as("%s: pages %s", context, when).isEqualTo(expected.pages());
    int bytes = expected.pages() * Memory.PAGE_SIZE;
    byte[] want = expected.readBytes(0, bytes);
    byte[] got = actual.readBytes(0, bytes);
    int mismatch = Arrays.mismatch(want, got);
    assertThat(mismatch).as("%s: first differing byte %s", context, when).isEqualTo(-1);
  }

  @Override
  public void close() {
    pooled.close();
  }

  /** A call's result or the exception it threw. */
  record Outcome(long[] result, RuntimeException thrown) {
    interface Call {
      long[] run();
    }

    static Outcome of(Call call) {
      try {
        return new Outcome(call.run(), null);
      } catch (RuntimeException e) {
        return new Outcome(null, e);
      }
    }

    private static String withoutAddress(String message) {
      return message == null
          ? null
          : message.replaceAll("address: -?\\d+", "address: _").replaceAll("size: \\d+", "size: _");
    }

    boolean trapped() {
      return thrown != null;
    }

    void assertMatchedBy(Outcome actual, String what) {
      if (thrown == null) {
        if (actual.thrown != null) {
          throw new AssertionError(what + ": reference returned, pooled threw", actual.thrown);
        }
        assertThat(actual.result).as(what).isEqualTo(result);
        return;
      }
      if (actual.thrown == null) {
        throw new AssertionError(
            what + ": reference threw, pooled returned " + Arrays.toString(actual.result), thrown);
      }
      if (thrown instanceof ChicoryException) {
        // Chicory's memory traps with a clean exception: require the same type, and the same
        // message except for the address it names, which differs where Chicory traps on the
        // first bad byte of an access that crosses a page, or checks bounds in overflowing int
        // arithmetic and so blames the other operand.
        assertThat(actual.thrown).as(what).isExactlyInstanceOf(thrown.getClass());
        assertThat(withoutAddress(actual.thrown.getMessage()))
            .as(what + ": " + actual.thrown.getMessage())
            .isEqualTo(withoutAddress(thrown.getMessage()));
      } else {
        // Chicory's own memory fails with a raw runtime exception on a few int-overflowing bulk
        // requests; the pooled memory must still refuse them, as a trap.
        assertThat(actual.thrown).as(what).isInstanceOf(ChicoryException.class);
      }
    }
  }
}
