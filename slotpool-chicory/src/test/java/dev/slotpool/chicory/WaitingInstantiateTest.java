package dev.slotpool.chicory;

import static com.dylibso.chicory.wasm.Parser.parse;
import static dev.slotpool.testkit.wasm.TestModules.bytes;
import static dev.slotpool.testkit.wasm.TestModules.dataModule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.memory.PoolExhaustedException;
import dev.slotpool.memory.PoolStats;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code instantiate} with every slot in use waits for one, up to the pool's {@code maxWait} or the
 * call's own timeout, as a connection pool's {@code getConnection} does; a wait that ends without a
 * slot throws a {@link PoolExhaustedException} that tells a {@code WasmInstancePool} user what to
 * do, and changes nothing.
 */
class WaitingInstantiateTest {
  private static final WasmModule DATA = parse(dataModule(1, 1000, bytes("some data")));

  private static WasmInstancePool pool(Duration maxWait) {
    return WasmInstancePool.builder().slots(1).maxMemoryBytes(1 << 20).maxWait(maxWait).build();
  }

  @Test
  void defaultPool_waitsThirtySeconds() {
    try (var pool = WasmInstancePool.builder().build()) {
      assertThat(pool.settings().maxWait()).isEqualTo(Duration.ofSeconds(30));
      assertThat(pool.slots()).isEqualTo(1000);
      assertThat(pool.maxMemoryBytes()).isEqualTo(2L << 30);
    }
  }

  @Test
  void instantiate_everySlotInUse_getsTheSlotAnotherThreadReleases() throws Exception {
    try (var pool = pool(Duration.ofMinutes(1))) {
      var held = pool.instantiate(DATA);
      CompletableFuture<String> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try (var pooled = pool.instantiate(DATA)) { // waits up to maxWait
                  long c = pooled.instance().export("run").apply(1000)[0];
                  return (char) c + (pooled.reusedSlot() ? " warm" : " cold");
                }
              });
      while (pool.stats().waits() == 0) { // counted before it blocks
        Thread.onSpinWait();
      }
      held.close();
      assertThat(waiter.get()).isEqualTo("s warm");
      PoolStats stats = pool.stats();
      assertThat(stats.waits()).isEqualTo(1);
      assertThat(stats.waitNanos()).isPositive();
      assertThat(stats.failedAllocations()).isZero();
      assertThat(stats.inUse()).isZero();
    }
  }

  @Test
  void instantiateWithTimeout_getsTheSlotAnotherThreadReleases() throws Exception {
    try (var pool = pool(Duration.ZERO)) { // the call's own timeout wins over maxWait
      var held = pool.instantiate(DATA);
      CompletableFuture<Boolean> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try (var pooled = pool.instantiate(DATA, builder -> {}, Duration.ofMinutes(1))) {
                  return pooled.reusedSlot();
                }
              });
      while (pool.stats().waits() == 0) {
        Thread.onSpinWait();
      }
      held.close();
      assertThat(waiter.get()).isTrue();
      assertThat(pool.stats().inUse()).isZero();
    }
  }

  @Test
  void instantiate_noSlotWithinMaxWait_throwsWhatToDo_andChangesNothing() {
    try (var pool = pool(Duration.ofMillis(30));
        var held = pool.instantiate(DATA)) {
      PoolStats before = pool.stats();
      assertThatThrownBy(() -> pool.instantiate(DATA))
          .isInstanceOfSatisfying(
              PoolExhaustedException.class,
              e -> {
                assertThat(e.capacity()).isEqualTo(1);
                assertThat(e.inUse()).isEqualTo(1);
                assertThat(e.getCause()).isInstanceOf(PoolExhaustedException.class);
              })
          .hasMessage(
              "WasmInstancePool exhausted: 1 of 1 slots in use (waited 30 ms, maxWait); close"
                  + " each PooledInstance as soon as its request is done (try-with-resources),"
                  + " raise slots(1) (one slot per memory of each instance open at once), or"
                  + " wait longer: maxWait(Duration) or instantiate(..., Duration)");
      PoolStats after = pool.stats();
      assertThat(after.inUse()).isEqualTo(1);
      assertThat(after.unusedWarmSlots()).isEqualTo(before.unusedWarmSlots());
      assertThat(after.residentBytes()).isEqualTo(before.residentBytes());
      assertThat(after.affinityHits()).isEqualTo(before.affinityHits());
      assertThat(after.waits()).isEqualTo(before.waits() + 1);
      assertThat(after.failedAllocations()).isEqualTo(before.failedAllocations() + 1);
      assertThat(after.waitNanos() - before.waitNanos())
          .isGreaterThanOrEqualTo(Duration.ofMillis(30).toNanos());
      assertThat(held.instance().export("run").apply(1000)[0]).isEqualTo('s');
    }
  }

  @Test
  void instantiateWithTimeout_namesTheTimeout_andZeroDoesNotWait() {
    try (var pool = pool(Duration.ofMinutes(1));
        var held = pool.instantiate(DATA)) {
      assertThatThrownBy(() -> pool.instantiate(DATA, Duration.ofMillis(20)))
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessageContaining("1 of 1 slots in use (waited 20 ms, the timeout given)");
      assertThatThrownBy(() -> pool.instantiate(DATA, Duration.ZERO))
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessageContaining("1 of 1 slots in use (no wait, the timeout given is 0)");
      assertThatThrownBy(() -> pool.instantiate(DATA, Duration.ofSeconds(-5)))
          .as("a negative timeout does not wait")
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessageContaining("(no wait, the timeout given is 0)");
      assertThat(pool.stats().waits()).as("only the 20 ms call waited").isEqualTo(1);
      assertThat(held.reusedSlot()).isFalse();
    }
  }

  @Test
  void instantiate_interruptedWhileWaiting_throwsKeepingTheInterrupt() {
    try (var pool = pool(Duration.ofMinutes(1));
        var held = pool.instantiate(DATA)) {
      Thread.currentThread().interrupt();
      assertThatThrownBy(() -> pool.instantiate(DATA))
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessageStartingWith(
              "WasmInstancePool exhausted: 1 of 1 slots in use (interrupted while waiting up to"
                  + " 60 s, maxWait)")
          .hasCauseInstanceOf(InterruptedException.class);
      assertThat(Thread.interrupted()).as("the interrupt is the caller's to see").isTrue();
      assertThat(pool.stats().inUse()).isEqualTo(1);
      assertThat(held.instance().export("run").apply(1000)[0]).isEqualTo('s');
    }
  }

  @Test
  void snapshotInstantiate_waitsAndTimesOutAsAModuleDoes() throws Exception {
    try (var pool = pool(Duration.ofMillis(10))) {
      WasmSnapshot snapshot = pool.snapshot(DATA, instance -> {});
      var held = pool.instantiate(snapshot);
      assertThatThrownBy(() -> pool.instantiate(snapshot))
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessageContaining("(waited 10 ms, maxWait)");
      assertThatThrownBy(() -> pool.instantiate(snapshot, builder -> {}, Duration.ZERO))
          .isInstanceOf(PoolExhaustedException.class)
          .hasMessageContaining("(no wait, the timeout given is 0)");
      CompletableFuture<Boolean> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try (var pooled = pool.instantiate(snapshot, Duration.ofMinutes(1))) {
                  return pooled.instance().export("run").apply(1000)[0] == 's';
                }
              });
      while (pool.stats().waits() < 2) { // the 10 ms wait above, then this one
        Thread.onSpinWait();
      }
      held.close();
      assertThat(waiter.get()).isTrue();
      assertThat(pool.stats().inUse()).isZero();
      snapshot.close();
    }
  }

  @Test
  void maxWait_outOfRange_isRejectedByTheBuilder() {
    assertThatThrownBy(() -> WasmInstancePool.builder().maxWait(Duration.ofMillis(-1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait: PT-0.001S (expected: >= 0; Duration.ZERO fails at once)");
    assertThatThrownBy(() -> WasmInstancePool.builder().maxWait(null))
        .isInstanceOf(NullPointerException.class);
  }
}
