package dev.slotpool.sim;

import dev.slotpool.sim.internal.SimResult;
import dev.slotpool.sim.internal.Simulator;

/**
 * {@code tune}'s answer in forms a user can paste: this library's builders, {@code wasmtime}'s
 * command-line flags and a complete Rust function for Wasmtime's pooling allocator. Stateless.
 */
final class Snippets {
  private Snippets() {}

  /** All three, with headings. */
  static String all(Simulator.Config config, SimResult best) {
    return String.join(
        "\n",
        "slotpool (Java), per host:",
        java(config, best),
        "",
        "wasmtime command line:",
        "  " + wasmtimeFlags(config, best),
        "",
        "Wasmtime (Rust):",
        rust(config, best),
        note(config, best));
  }

  /** The keep-resident bytes Wasmtime gets: the fixed setting, or the budget spread over W. */
  static long wasmtimeKeepResident(Simulator.Config config, SimResult best) {
    if (!best.memory().adaptive()) {
      return best.memory().bytes();
    }
    long perSlot = best.memory().bytes() / Math.max(1, best.maxWarm());
    return Math.min(perSlot, config.bytesPerSlot()) / 4096 * 4096;
  }

  static String java(Simulator.Config config, SimResult best) {
    String memory =
        best.memory().adaptive()
            ? "    .residentBudgetBytes(" + best.memory().bytes() + "L)"
            : "    .keepResidentBytes(" + best.memory().bytes() + "L)";
    return String.join(
        "\n",
        "  WasmInstancePool pool = WasmInstancePool.builder()",
        "      .slots(" + config.slots() + ")",
        "      .maxUnusedWarmSlots(" + best.maxWarm() + ")",
        "  " + memory,
        "      .build();",
        "  // or, for raw memories: MemoryPool.builder().slots("
            + config.slots()
            + ").maxUnusedWarmSlots("
            + best.maxWarm()
            + ")"
            + memory.strip()
            + ".build();");
  }

  static String wasmtimeFlags(Simulator.Config config, SimResult best) {
    return "wasmtime run -O pooling-allocator=y,pooling-total-memories="
        + config.slots()
        + ",pooling-total-core-instances="
        + config.slots()
        + ",pooling-max-unused-warm-slots="
        + best.maxWarm()
        + ",pooling-memory-keep-resident="
        + wasmtimeKeepResident(config, best)
        + " app.wasm";
  }

  static String rust(Simulator.Config config, SimResult best) {
    return String.join(
        "\n",
        "  use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};",
        "",
        "  fn engine() -> wasmtime::Result<Engine> {",
        "      let mut pool = PoolingAllocationConfig::default();",
        "      pool.total_memories(" + config.slots() + ")",
        "          .total_core_instances(" + config.slots() + ")",
        "          .max_unused_warm_slots(" + best.maxWarm() + ")",
        "          .linear_memory_keep_resident(" + wasmtimeKeepResident(config, best) + ");",
        "      let mut config = Config::new();",
        "      config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));",
        "      Engine::new(&config)",
        "  }");
  }

  private static String note(Simulator.Config config, SimResult best) {
    String budget =
        best.memory().adaptive()
            ? " Wasmtime has no pool-wide resident budget: its keep-resident here is the budget"
                + " spread over max-warm slots, rounded down to a page."
            : "";
    String fleet = config.hosts() > 1 ? " Each of the " + config.hosts() + " hosts gets this." : "";
    return "(Wasmtime applies max_unused_warm_slots per pool stripe; slotpool's budget is for the"
        + " whole pool."
        + budget
        + fleet
        + ")";
  }
}
