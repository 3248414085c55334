package dev.slotpool.micrometer;

import dev.slotpool.chicory.InstanceStats;
import dev.slotpool.chicory.RecycleStats;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PoolStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Binds a {@link MemoryPool}'s or a {@link WasmInstancePool}'s statistics to a Micrometer {@link
 * MeterRegistry}: gauges for the slots in use, the unused warm slots and the bytes they keep
 * resident and the resident budget, and function counters for allocations by outcome, affinity
 * misses, waits and the time they took, image mappings, resets by kind, decommits and leaked
 * leases. Every meter carries the tags {@code pool} (the name given here) and {@code type} ({@code
 * MemoryPool} or {@code WasmInstancePool}); the names are listed in this module's README.
 *
 * <pre>{@code
 * new SlotpoolMetrics(pool, "checkout").bindTo(registry);
 * }</pre>
 *
 * <p>The meters read {@link MemoryPool#stats()} when the registry polls them, so binding costs the
 * pool nothing on its allocation path. They hold the pool weakly, as Micrometer's function meters
 * do: a pool that is garbage collected reports {@code NaN}; a closed pool keeps its last values.
 *
 * <p>One name, one pool: binding a second pool to a registry under the name (and tags) another pool
 * is bound with fails with {@link IllegalArgumentException} and registers nothing, since Micrometer
 * would otherwise hand back the first pool's meters and drop the second's values silently. Binding
 * the same pool again is harmless. To reuse a name, remove the first pool's meters from the
 * registry first.
 *
 * <p>Thread-safe: {@link #bindTo} may be called for several registries.
 */
public final class SlotpoolMetrics implements MeterBinder {
  /*
   * Implementation notes.
   *
   * Each meter is one line in bindTo: a name, a description, a PoolStats accessor and its tags.
   * The state object handed to Micrometer is the pool itself (held weakly by the registry), never
   * a wrapper, which nothing else would keep reachable.
   *
   * A registry does not say which object a gauge reads, so BOUND remembers, per registry (weakly),
   * which pool each tag set was bound for; the registry itself says whether that binding still
   * stands (its meters may have been removed). Check and registration happen under BOUND's lock,
   * so two racing binds of one name cannot both pass.
   */

  private static final double NANOS_PER_SECOND = 1e9;

  private static final String PROBE = "slotpool.slots.max";
  private static final Map<MeterRegistry, Map<Tags, WeakReference<Object>>> BOUND =
      new WeakHashMap<>();

  private final Object pool;
  private final Function<Object, PoolStats> stats;
  private final Tags tags;

  /**
   * Meters for {@code pool}, tagged {@code pool=name}, {@code type=MemoryPool} and {@code tags}.
   */
  public SlotpoolMetrics(MemoryPool pool, String name, Iterable<Tag> tags) {
    this(pool, p -> ((MemoryPool) p).stats(), "MemoryPool", name, tags);
  }

  /** Meters for {@code pool}, tagged {@code pool=name} and {@code type=MemoryPool}. */
  public SlotpoolMetrics(MemoryPool pool, String name) {
    this(pool, name, Tags.empty());
  }

  /**
   * Meters for {@code pool}, tagged {@code pool=name}, {@code type=WasmInstancePool} and {@code
   * tags}.
   */
  public SlotpoolMetrics(WasmInstancePool pool, String name, Iterable<Tag> tags) {
    this(pool, p -> ((WasmInstancePool) p).stats(), "WasmInstancePool", name, tags);
  }

  /** Meters for {@code pool}, tagged {@code pool=name} and {@code type=WasmInstancePool}. */
  public SlotpoolMetrics(WasmInstancePool pool, String name) {
    this(pool, name, Tags.empty());
  }

  private SlotpoolMetrics(
      Object pool,
      Function<Object, PoolStats> stats,
      String type,
      String name,
      Iterable<Tag> tags) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.stats = stats;
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name: \"" + name + "\" (expected: a non-blank name)");
    }
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags")).and("pool", name).and("type", type);
  }

  /**
   * Registers the meters.
   *
   * @throws IllegalArgumentException if another pool's meters are registered in {@code registry}
   *     under the same name and tags (nothing is registered)
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    synchronized (BOUND) {
      Map<Tags, WeakReference<Object>> bound =
          BOUND.computeIfAbsent(registry, r -> new HashMap<>());
      WeakReference<Object> previous = bound.get(tags);
      boolean registered = isRegistered(registry, bound.keySet());
      if (registered && previous != null && previous.get() == pool) {
        return; // bound already, to this very pool
      }
      if (registered) {
        throw new IllegalArgumentException(
            "pool name "
                + tags
                + " is already bound in "
                + registry.getClass().getSimpleName()
                + " to another pool (expected: one name per pool; remove the other pool's"
                + " meters first to reuse the name)");
      }
      register(registry);
      bound.put(tags, new WeakReference<>(pool));
    }
  }

  /**
   * Whether a meter with this binder's tags is in {@code registry}. A registry may add tags of its
   * own (common tags), so a meter is this tag set's if it holds these tags and no other bound tag
   * set that holds them too (a name bound again with more tags of the user's).
   */
  private boolean isRegistered(MeterRegistry registry, Set<Tags> boundTags) {
    Set<Tag> ours = toSet(tags);
    for (Meter meter : registry.find(PROBE).tags(tags).meters()) {
      Set<Tag> its = toSet(meter.getId().getTags());
      boolean another = false;
      for (Tags other : boundTags) {
        Set<Tag> more = toSet(other);
        if (!other.equals(tags) && more.containsAll(ours) && its.containsAll(more)) {
          another = true;
          break;
        }
      }
      if (!another) {
        return true;
      }
    }
    return false;
  }

  private static Set<Tag> toSet(Iterable<Tag> tags) {
    Set<Tag> set = new HashSet<>();
    tags.forEach(set::add);
    return set;
  }

  private void register(MeterRegistry registry) {
    gauge(registry, PROBE, null, "The pool's capacity", PoolStats::slots);
    gauge(registry, "slotpool.slots.in.use", null, "Slots leased out now", PoolStats::inUse);
    gauge(
        registry,
        "slotpool.slots.unused.warm",
        null,
        "Slots used before, reset, and waiting for reuse",
        PoolStats::unusedWarmSlots);
    gauge(
        registry,
        "slotpool.slots.pending.decommit",
        null,
        "Released slots whose decommit is still queued",
        PoolStats::pendingDecommits);
    gauge(
        registry,
        "slotpool.resident",
        BaseUnits.BYTES,
        "Bytes the unused warm slots keep resident",
        PoolStats::residentBytes);

    counter(
        registry,
        "slotpool.allocations",
        "Allocations that took a warm slot last used for the same key",
        PoolStats::affinityHits,
        "outcome",
        "hit");
    counter(
        registry,
        "slotpool.allocations",
        "Allocations that took a never-used slot",
        PoolStats::coldAllocations,
        "outcome",
        "cold");
    counter(
        registry,
        "slotpool.allocations",
        "Allocations that took a warm slot of another key",
        PoolStats::evictions,
        "outcome",
        "eviction");
    counter(
        registry,
        "slotpool.allocations",
        "Allocation attempts that found no free slot",
        PoolStats::failedAllocations,
        "outcome",
        "failure");
    counter(
        registry,
        "slotpool.affinity.misses",
        "Allocations with a key that found no warm slot for it",
        PoolStats::affinityMisses);
    counter(
        registry,
        "slotpool.waits",
        "Allocations that found every slot in use and waited for one",
        PoolStats::waits);
    FunctionCounter.builder(
            "slotpool.wait.time", pool, p -> stats.apply(p).waitNanos() / NANOS_PER_SECOND)
        .description("Time allocations spent waiting for a free slot")
        .baseUnit("seconds")
        .tags(tags)
        .register(registry);
    counter(
        registry,
        "slotpool.image.mappings",
        "Memory images mapped copy-on-write into a slot",
        PoolStats::imageMappings);
    counter(
        registry,
        "slotpool.decommits",
        "Slot resets that dropped pages with madvise(MADV_DONTNEED)",
        PoolStats::decommits);
    counter(
        registry,
        "slotpool.decommit.batches",
        "Decommit batches flushed",
        PoolStats::decommitBatches);
    gauge(
        registry,
        "slotpool.resident.budget",
        BaseUnits.BYTES,
        "The most bytes the unused warm slots may keep resident together",
        PoolStats::residentBudgetBytes);
    byteCounter(
        registry,
        "slotpool.reset",
        "Bytes that resets restored by copying them back from an image",
        PoolStats::copiedBytes,
        "kind",
        "copy");
    byteCounter(
        registry,
        "slotpool.reset",
        "Bytes that resets restored by zero-filling them",
        PoolStats::zeroedBytes,
        "kind",
        "zero");
    byteCounter(
        registry,
        "slotpool.reset",
        "Bytes that resets dropped with madvise(MADV_DONTNEED)",
        PoolStats::decommitBytes,
        "kind",
        "decommit");
    counter(
        registry,
        "slotpool.budget.decommits",
        "Warm slots decommitted whole because a release would have exceeded the resident budget",
        PoolStats::budgetDecommits);
    byteCounter(
        registry,
        "slotpool.budget.decommitted",
        "Resident bytes that budget decommits dropped",
        PoolStats::budgetDecommitBytes);
    counter(
        registry,
        "slotpool.leases.leaked",
        "Leases that became unreachable unclosed and were reclaimed",
        PoolStats::leakedLeases);
    if (pool instanceof WasmInstancePool wasm) {
      bindInstanceMeters(registry, wasm);
    }
  }

  /** What a WasmInstancePool's instances do across threads ({@link InstanceStats}). */
  private void bindInstanceMeters(MeterRegistry registry, WasmInstancePool wasm) {
    Gauge.builder("slotpool.instances.running", wasm, p -> p.instanceStats().running())
        .description("Instances with a call running in them now")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder(
            "slotpool.instances.closes", wasm, p -> p.instanceStats().closedFromAnotherThread())
        .description("Instances closed on another thread than the one that last called into them")
        .tags(tags.and("thread", "other"))
        .register(registry);
    FunctionCounter.builder(
            "slotpool.instances.cancellations", wasm, p -> p.instanceStats().cancelled())
        .description("Closes that cancelled a call running on another thread")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder("slotpool.instances.recycled", wasm, p -> p.recycleStats().recycled())
        .description("Instantiations of prepared modules that reused a parked instance")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder("slotpool.instances.built", wasm, p -> p.recycleStats().built())
        .description("Instantiations of prepared modules that built a new instance")
        .tags(tags)
        .register(registry);
    for (RecycleStats.Reason reason : RecycleStats.Reason.values()) {
      FunctionCounter.builder(
              "slotpool.instances.not.recycled",
              wasm,
              p -> p.recycleStats().notRecycled().getOrDefault(reason, 0L))
          .description("Instances of prepared modules built, or dropped, instead of recycled")
          .tags(tags.and("reason", reason.name().toLowerCase(Locale.ROOT)))
          .register(registry);
    }
  }

  private void gauge(
      MeterRegistry registry,
      String name,
      String unit,
      String description,
      ToLongFunction<PoolStats> value) {
    Gauge.builder(name, pool, p -> value.applyAsLong(stats.apply(p)))
        .description(description)
        .baseUnit(unit)
        .tags(tags)
        .register(registry);
  }

  private void counter(
      MeterRegistry registry,
      String name,
      String description,
      ToLongFunction<PoolStats> value,
      String... extraTags) {
    counter(registry, name, null, description, value, extraTags);
  }

  private void byteCounter(
      MeterRegistry registry,
      String name,
      String description,
      ToLongFunction<PoolStats> value,
      String... extraTags) {
    counter(registry, name, BaseUnits.BYTES, description, value, extraTags);
  }

  private void counter(
      MeterRegistry registry,
      String name,
      String unit,
      String description,
      ToLongFunction<PoolStats> value,
      String... extraTags) {
    FunctionCounter.builder(name, pool, p -> value.applyAsLong(stats.apply(p)))
        .description(description)
        .baseUnit(unit)
        .tags(tags.and(extraTags))
        .register(registry);
  }

  @Override
  public String toString() {
    return "SlotpoolMetrics" + tags;
  }
}
