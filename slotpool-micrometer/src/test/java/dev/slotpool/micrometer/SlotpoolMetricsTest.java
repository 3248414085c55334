package dev.slotpool.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PoolExhaustedException;
import dev.slotpool.memory.PooledMemory;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SlotpoolMetricsTest {
  private static final long PAGE = MemoryPool.pageSize();

  /** One memory page with "Hi" at offset 0: a module with a data segment to image. */
  private static final byte[] HI_MODULE = {
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00, // magic, version 1
    0x05,
    0x03,
    0x01,
    0x00,
    0x01, // memory section: one memory, min 1 page
    0x0b,
    0x08,
    0x01,
    0x00,
    0x41,
    0x00,
    0x0b,
    0x02,
    0x48,
    0x69 // data: "Hi" at i32.const 0
  };

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private double gauge(String name) {
    return registry.get(name).tag("pool", "p").gauge().value();
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tag("pool", "p").tags(tags).functionCounter().count();
  }

  @Test
  void memoryPool_metersFollowStats() {
    try (MemoryPool pool =
        MemoryPool.builder()
            .slots(2)
            .maxMemoryBytes(4 * PAGE)
            .keepResidentBytes(PAGE)
            .maxWait(Duration.ZERO)
            .build()) {
      new SlotpoolMetrics(pool, "p", Tags.of("app", "test")).bindTo(registry);

      pool.allocate("a", null, PAGE).close(); // cold
      pool.allocate("a", null, PAGE).close(); // hit
      PooledMemory b = pool.allocate("b", null, PAGE); // miss, cold: both slots now used
      PooledMemory c = pool.allocate("c", null, PAGE); // miss, evicts a's warm slot
      assertThatThrownBy(() -> pool.allocate("d", null, PAGE))
          .isInstanceOf(PoolExhaustedException.class);

      assertThat(gauge("slotpool.slots.max")).isEqualTo(2);
      assertThat(gauge("slotpool.slots.in.use")).isEqualTo(2);
      assertThat(gauge("slotpool.slots.unused.warm")).isZero();
      assertThat(counter("slotpool.allocations", "outcome", "hit")).isEqualTo(1);
      assertThat(counter("slotpool.allocations", "outcome", "cold")).isEqualTo(2);
      assertThat(counter("slotpool.allocations", "outcome", "eviction")).isEqualTo(1);
      assertThat(counter("slotpool.allocations", "outcome", "failure")).isEqualTo(1);
      assertThat(counter("slotpool.affinity.misses"))
          .isEqualTo(pool.stats().affinityMisses())
          .isEqualTo(4); // a's first allocation, b, c, and d's failed one

      b.close();
      c.close();
      assertThat(gauge("slotpool.slots.in.use")).isZero();
      assertThat(gauge("slotpool.slots.unused.warm")).isEqualTo(2);
      assertThat(gauge("slotpool.resident")).isEqualTo(pool.stats().residentBytes());
      assertThat(counter("slotpool.decommits")).isEqualTo(pool.stats().decommits());
      assertThat(registry.get("slotpool.resident").gauge().getId().getBaseUnit())
          .isEqualTo("bytes");
      assertThat(registry.get("slotpool.slots.in.use").tag("app", "test").gauge().getId())
          .satisfies(id -> assertThat(id.getTag("type")).isEqualTo("MemoryPool"));
    }
    // A closed pool keeps reporting its last values instead of failing the registry's poll.
    assertThat(gauge("slotpool.slots.in.use")).isZero();
    assertThat(counter("slotpool.allocations", "outcome", "hit")).isEqualTo(1);
  }

  @Test
  void wasmInstancePool_countsImageMappingsAndHits() {
    WasmModule module = Parser.parse(HI_MODULE);
    try (WasmInstancePool pool =
        WasmInstancePool.builder().slots(2).maxMemoryBytes(16 * 65536).build()) {
      new SlotpoolMetrics(pool, "p").bindTo(registry);
      for (int i = 0; i < 3; i++) {
        pool.instantiate(module).close();
      }
      assertThat(registry.get("slotpool.slots.max").tag("type", "WasmInstancePool").gauge().value())
          .isEqualTo(2);
      assertThat(counter("slotpool.allocations", "outcome", "cold")).isEqualTo(1);
      assertThat(counter("slotpool.allocations", "outcome", "hit")).isEqualTo(2);
      assertThat(counter("slotpool.image.mappings")).isEqualTo(1);
    }
  }

  @Test
  void wasmInstancePool_countsClosesFromAnotherThread_andRunningInstances() throws Exception {
    WasmModule module = Parser.parse(HI_MODULE);
    try (WasmInstancePool pool =
            WasmInstancePool.builder().slots(2).maxMemoryBytes(16 * 65536).build();
        ExecutorService closer = Executors.newSingleThreadExecutor()) {
      new SlotpoolMetrics(pool, "p").bindTo(registry);
      var instance = pool.instantiate(module);
      closer.submit(instance::close).get();
      pool.instantiate(module).close(); // closed where it was made: not counted
      assertThat(counter("slotpool.instances.closes", "thread", "other")).isEqualTo(1);
      assertThat(counter("slotpool.instances.cancellations")).isZero();
      assertThat(gauge("slotpool.instances.running")).isZero();
      assertThat(gauge("slotpool.slots.in.use")).isZero();
    }
  }

  @Test
  void preparedModules_countRecycledAndBuiltInstances_andWhyNotRecycled() throws Exception {
    WasmModule module = Parser.parse(HI_MODULE);
    try (WasmInstancePool pool =
        WasmInstancePool.builder().slots(1).maxMemoryBytes(16 * 65536).build()) {
      new SlotpoolMetrics(pool, "p").bindTo(registry);
      PreparedModule<Void> prepared = pool.prepare(module, Linker.<Void>builder().build());
      for (int i = 0; i < 3; i++) {
        prepared.instantiate(null).close(); // built once, then recycled on the one slot
      }
      pool.instantiate(module).close(); // the slot's parked instance is dropped
      prepared.instantiate(null).close(); // built again
      assertThat(counter("slotpool.instances.recycled")).isEqualTo(2);
      assertThat(counter("slotpool.instances.built")).isEqualTo(2);
      assertThat(counter("slotpool.instances.not.recycled", "reason", "no_instance_on_slot"))
          .isEqualTo(2);
      assertThat(counter("slotpool.instances.not.recycled", "reason", "cancelled")).isZero();
    }
  }

  @Test
  void adaptiveResets_budgetAndResetBytes_followStats() {
    try (MemoryPool pool =
        MemoryPool.builder().slots(2).maxMemoryBytes(4 * PAGE).residentBudgetBytes(PAGE).build()) {
      new SlotpoolMetrics(pool, "p").bindTo(registry);
      try (PooledMemory lease = pool.allocate("a", null, 2 * PAGE)) {
        lease.segment().fill((byte) 7); // two written pages: one is zeroed, one is over budget
      }
      var stats = pool.stats();
      assertThat(gauge("slotpool.resident.budget")).isEqualTo(PAGE);
      assertThat(counter("slotpool.reset", "kind", "zero"))
          .isEqualTo(stats.zeroedBytes())
          .isPositive();
      assertThat(counter("slotpool.reset", "kind", "copy")).isEqualTo(stats.copiedBytes());
      assertThat(counter("slotpool.reset", "kind", "decommit")).isEqualTo(stats.decommitBytes());
      assertThat(gauge("slotpool.resident"))
          .isEqualTo(stats.residentBytes())
          .isLessThanOrEqualTo(PAGE);
      assertThat(counter("slotpool.leases.leaked")).isZero();
      assertThat(counter("slotpool.budget.decommits")).isEqualTo(stats.budgetDecommits());
    }
  }

  @Test
  void waits_countAllocationsThatWaitedForASlot() throws Exception {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).build()) {
      new SlotpoolMetrics(pool, "p").bindTo(registry);
      PooledMemory held = pool.allocate("a", null, PAGE);
      // No timeout, or a zero one: the allocation fails at once, it does not wait.
      assertThatThrownBy(() -> pool.allocate("a", null, PAGE, Duration.ZERO))
          .isInstanceOf(PoolExhaustedException.class);
      assertThat(counter("slotpool.waits")).isZero();

      try (ExecutorService waiter = Executors.newSingleThreadExecutor()) {
        Future<Integer> got =
            waiter.submit(
                () -> {
                  try (PooledMemory lease = pool.allocate("a", null, PAGE, Duration.ofMinutes(1))) {
                    return lease.slot();
                  }
                });
        while (pool.stats().waits() == 0) { // counted before it blocks
          Thread.onSpinWait();
        }
        held.close();
        assertThat(got.get()).isZero(); // it got the slot released under it
      }
      try (PooledMemory busy = pool.allocate("b", null, PAGE)) {
        assertThatThrownBy(() -> pool.allocate("b", null, PAGE, Duration.ofMillis(1)))
            .isInstanceOf(PoolExhaustedException.class);
        assertThat(busy.slot()).isZero();
      }
      assertThat(counter("slotpool.waits")).isEqualTo(pool.stats().waits()).isEqualTo(2);
      // The time both waits took, in seconds: at least the 1 ms of the one that timed out.
      double waited = registry.get("slotpool.wait.time").functionCounter().count();
      assertThat(waited).isEqualTo(pool.stats().waitNanos() / 1e9).isGreaterThanOrEqualTo(1e-3);
    }
  }

  @Test
  void everyDocumentedMeter_isRegistered_forBothPools() throws Exception {
    Set<String> documented = documentedMeterNames();
    assertThat(documented)
        .contains("slotpool.waits", "slotpool.wait.time", "slotpool.leases.leaked");
    WasmModule module = Parser.parse(HI_MODULE);
    try (MemoryPool memoryPool = MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).build();
        WasmInstancePool wasmPool =
            WasmInstancePool.builder().slots(1).maxMemoryBytes(65536).build()) {
      new SlotpoolMetrics(memoryPool, "m").bindTo(registry);
      new SlotpoolMetrics(wasmPool, "w").bindTo(registry);
      wasmPool.instantiate(module).close();
      for (String type : List.of("MemoryPool", "WasmInstancePool")) {
        Set<String> registered = new TreeSet<>();
        for (Meter meter : registry.getMeters()) {
          if (type.equals(meter.getId().getTag("type"))) {
            registered.add(meter.getId().getName());
          }
        }
        Set<String> expected = new TreeSet<>(documented);
        if (type.equals("MemoryPool")) {
          expected.removeIf(name -> name.startsWith("slotpool.instances.")); // Wasm pools only
        }
        assertThat(registered).as(type).isEqualTo(expected);
      }
    }
  }

  /** The meter names in the first column of this module's README table. */
  private static Set<String> documentedMeterNames() throws Exception {
    Set<String> names = new TreeSet<>();
    Matcher row =
        Pattern.compile("^\\| `(slotpool\\.[a-z.]+)`", Pattern.MULTILINE)
            .matcher(Files.readString(Path.of("README.md")));
    while (row.find()) {
      names.add(row.group(1));
    }
    return names;
  }

  @Test
  void blankName_isRejected() {
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).build()) {
      assertThatThrownBy(() -> new SlotpoolMetrics(pool, " "))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("name: \" \" (expected: a non-blank name)");
    }
  }

  @Test
  void secondPool_underABoundName_isRejected_andChangesNothing() {
    try (MemoryPool first = MemoryPool.builder().slots(2).maxMemoryBytes(PAGE).build();
        MemoryPool second = MemoryPool.builder().slots(3).maxMemoryBytes(PAGE).build()) {
      new SlotpoolMetrics(first, "p").bindTo(registry);
      List<Meter> before = List.copyOf(registry.getMeters());

      assertThatThrownBy(() -> new SlotpoolMetrics(second, "p").bindTo(registry))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("pool=p")
          .hasMessageContaining("already bound")
          .hasMessageContaining("to another pool");
      assertThat(registry.getMeters()).containsExactlyInAnyOrderElementsOf(before);
      assertThat(gauge("slotpool.slots.max")).as("still the first pool's").isEqualTo(2);

      new SlotpoolMetrics(first, "p").bindTo(registry); // the same pool again: harmless
      new SlotpoolMetrics(second, "p", Tags.of("shard", "2")).bindTo(registry); // other tags
      assertThat(registry.get("slotpool.slots.max").tag("shard", "2").gauge().value()).isEqualTo(3);
      assertThat(registry.getMeters()).hasSize(2 * before.size());

      for (Meter meter : before) {
        registry.remove(meter);
      }
      new SlotpoolMetrics(second, "p").bindTo(registry); // the name is free again
      assertThat(gauge("slotpool.slots.max")).isEqualTo(3);
    }
  }

  @Test
  void secondPool_underABoundName_isRejected_whenTheRegistryAddsCommonTags() {
    SimpleMeterRegistry tagged = new SimpleMeterRegistry();
    tagged.config().commonTags("app", "test");
    try (MemoryPool first = MemoryPool.builder().slots(2).maxMemoryBytes(PAGE).build();
        MemoryPool second = MemoryPool.builder().slots(3).maxMemoryBytes(PAGE).build()) {
      new SlotpoolMetrics(first, "p").bindTo(tagged);
      new SlotpoolMetrics(first, "p").bindTo(tagged); // the same pool again: harmless
      new SlotpoolMetrics(second, "p", Tags.of("shard", "2")).bindTo(tagged); // other tags
      List<Meter> before = List.copyOf(tagged.getMeters());

      assertThatThrownBy(() -> new SlotpoolMetrics(second, "p").bindTo(tagged))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("already bound");
      assertThat(tagged.getMeters()).containsExactlyInAnyOrderElementsOf(before);
      assertThat(tagged.get("slotpool.slots.max").tags("pool", "p", "app", "test").meters())
          .extracting(m -> m.measure().iterator().next().getValue())
          .containsExactlyInAnyOrder(2.0, 3.0);
    }
  }
}
