package dev.slotpool.chicory.prepared;

import static dev.slotpool.testkit.wasm.WasmBuilder.I32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.RecycleStats.Reason;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.testkit.wasm.WasmBuilder;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A linker's host functions of a request context reach the context of the request the instance
 * serves, recycled or built; modules whose state cannot be reset still work, built per request, and
 * say why; misuse is refused with a message naming it.
 */
class LinkerTest {
  private static final byte[] NONE = {};
  private static final byte[] RESULT = {I32};

  /** A request's own host state: what {@code env.request_id} answers. */
  record Request(int id) {}

  private WasmInstancePool pool;

  @BeforeEach
  void open() {
    pool = WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).build();
  }

  @AfterEach
  void close() {
    pool.close();
  }

  /**
   * Exports {@code id}: {@code env.request_id()} plus the global the start function (if any) set.
   */
  private static WasmModule module(boolean startFunction) {
    var b = new WasmBuilder();
    int requestId = b.importFunction("env", "request_id", NONE, RESULT);
    b.memory(1, 2);
    int global = b.globalI32(true, 0);
    b.function(
        "id", NONE, RESULT, new WasmBuilder.Code().call(requestId).globalGet(global).i32Add());
    if (startFunction) {
      b.function("init", NONE, NONE, new WasmBuilder.Code().i32Const(1000).globalSet(global));
      b.startWithLastFunction();
    }
    return Parser.parse(b.build());
  }

  private static Linker<Request> linker() {
    return Linker.<Request>builder()
        .function(
            "env",
            "request_id",
            FunctionType.returning(ValType.I32),
            (request, instance, args) -> new long[] {request.id()})
        .build();
  }

  @Test
  void contextFunction_seesTheContextOfTheRequestItServes_onARecycledInstance() {
    PreparedModule<Request> prepared = pool.prepare(module(false), linker());
    for (int id = 1; id <= 5; id++) {
      try (PooledInstance pooled = prepared.instantiate(new Request(id))) {
        assertThat(pooled.instance().export("id").apply()[0]).isEqualTo(id);
      }
    }
    assertThat(prepared.recycleStats().recycled()).isEqualTo(4);
    assertThat(prepared.recycleStats().built()).isEqualTo(1);
  }

  @Test
  void purge_dropsTheParkedInstance_andTheNextRequestBuildsOne() {
    WasmModule module = module(false);
    PreparedModule<Request> prepared = pool.prepare(module, linker());
    prepared.instantiate(new Request(1)).close(); // built, then parked with the one slot
    assertThat(pool.purge(module)).isEqualTo(1);
    try (PooledInstance pooled = prepared.instantiate(new Request(2))) {
      assertThat(pooled.instance().export("id").apply()[0]).isEqualTo(2);
    }
    assertThat(prepared.recycleStats().built()).isEqualTo(2);
    assertThat(prepared.recycleStats().recycled()).isZero();
    assertThat(prepared.recycleStats().notRecycled())
        .containsEntry(Reason.NO_INSTANCE_ON_SLOT, 1L)
        .containsEntry(Reason.PURGED, 1L);
    prepared.instantiate(new Request(3)).close(); // the new plan's instance is recycled
    assertThat(prepared.recycleStats().recycled()).isEqualTo(1);
  }

  @Test
  void startFunction_buildsEveryInstance_runsItEachTime_andSaysWhy() {
    PreparedModule<Request> prepared = pool.prepare(module(true), linker());
    assertThat(prepared.recycles()).isFalse();
    for (int id = 1; id <= 3; id++) {
      try (PooledInstance pooled = prepared.instantiate(new Request(id))) {
        assertThat(pooled.isRecyclable()).isFalse();
        assertThat(pooled.instance().export("id").apply()[0]).isEqualTo(1000 + id);
      }
    }
    assertThat(prepared.recycleStats().built()).isEqualTo(3);
    assertThat(prepared.recycleStats().notRecycled()).containsEntry(Reason.START_FUNCTION, 3L);
    assertThat(pool.stats().inUse()).isZero();
  }

  @Test
  void hostStateImports_buildEveryInstance() {
    var counter = new AtomicInteger();
    Linker<Request> linker =
        Linker.<Request>builder()
            .imports(
                ImportValues.builder()
                    .addFunction(
                        new HostFunction(
                            "env",
                            "request_id",
                            FunctionType.returning(ValType.I32),
                            (instance, args) -> new long[] {counter.incrementAndGet()}))
                    .addGlobal(
                        new ImportGlobal(
                            "env", "unused", new GlobalInstance(Value.i32(0), MutabilityType.Var)))
                    .build())
            .build();
    PreparedModule<Request> prepared = pool.prepare(module(false), linker);
    assertThat(prepared.recycles()).isFalse();
    try (PooledInstance pooled = prepared.instantiate(new Request(7))) {
      assertThat(pooled.instance().export("id").apply()[0]).isEqualTo(1);
    }
    assertThat(prepared.recycleStats().notRecycled()).containsOnlyKeys(Reason.HOST_STATE);
  }

  @Test
  void misuse_isRefusedWithAMessage() {
    WasmModule module = module(false);
    assertThatThrownBy(() -> pool.prepare((WasmModule) null, linker()))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("module");
    assertThatThrownBy(() -> pool.prepare(module, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("linker");
    assertThatThrownBy(
            () -> Linker.<Request>builder().function("env", "f", null, (r, i, a) -> null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("type");
    try (var other = WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).build();
        var snapshot = other.snapshot(module, b -> b.withImportValues(stubImports()), i -> {})) {
      assertThatThrownBy(() -> pool.prepare(snapshot, linker()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("another pool");
    }
    PreparedModule<Request> prepared = pool.prepare(module, linker());
    pool.close();
    assertThatThrownBy(() -> prepared.instantiate(new Request(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> pool.prepare(module, linker()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void aHostFunctionThatThrows_leavesTheNextRequestWhole() {
    PreparedModule<Request> prepared =
        pool.prepare(
            module(false),
            Linker.<Request>builder()
                .function(
                    "env",
                    "request_id",
                    FunctionType.returning(ValType.I32),
                    (request, instance, args) -> {
                      if (request.id() < 0) {
                        throw new IllegalArgumentException("bad request " + request.id());
                      }
                      return new long[] {request.id()};
                    })
                .build());
    try (PooledInstance pooled = prepared.instantiate(new Request(-1))) {
      assertThatThrownBy(() -> pooled.instance().export("id").apply())
          .hasMessageContaining("bad request -1");
    }
    try (PooledInstance pooled = prepared.instantiate(new Request(2))) {
      assertThat(pooled.instance().export("id").apply()[0]).isEqualTo(2);
    }
    assertThat(prepared.recycleStats().recycled()).isEqualTo(1);
    assertThat(pool.stats().inUse()).isZero();
  }

  private static ImportValues stubImports() {
    return ImportValues.builder()
        .addFunction(
            new HostFunction(
                "env",
                "request_id",
                FunctionType.returning(ValType.I32),
                (instance, args) -> new long[] {0}))
        .build();
  }
}
