package dev.slotpool.cli;

import dev.slotpool.cli.input.Sizes;
import dev.slotpool.cli.model.Router;
import dev.slotpool.cli.model.SimResult;
import dev.slotpool.cli.model.Simulator;

/**
 * {@code tune}'s answer in forms a user can paste: this library's builders, {@code wasmtime}'s
 * command-line flags and a complete Rust function for Wasmtime's pooling allocator. Stateless.
 */
final class Snippets {
  private Snippets() {}

  /** All three, with headings. */
  static String all(Simulator.Config config, SimResult best, long budget) {
    return String.join(
            "\n",
            "slotpool (Java), per host:",
            java(config, best),
            "",
            "wasmtime command line:",
            "  " + wasmtimeFlags(config, best, budget),
            "",
            "Wasmtime (Rust):",
            rust(config, best, budget),
            note(config, best, budget))
        + (config.hosts() > 1 && config.routing() == Router.Kind.BOUNDED_HASH
            ? "\n\n" + balancers(config)
            : "");
  }

  /**
   * The load balancer configuration that routes as the simulated fleet did (consistent hashing of
   * the module with bounded loads), for Envoy, HAProxy and nginx.
   */
  static String balancers(Simulator.Config config) {
    long factor = Math.round(100 * (1 + config.balanceFactor()));
    return String.join(
        "\n",
        "Routing: consistent hashing of the module with bounded loads, --balance-factor "
            + config.balanceFactor()
            + " (a host takes at most "
            + factor
            + "% of the mean load). The module goes in a request header, x-wasm-module here:",
        "",
        "Envoy (cluster; ring_hash, or MAGLEV with the same hash_balance_factor):",
        "  lb_policy: RING_HASH",
        "  ring_hash_lb_config: {minimum_ring_size: 1024}",
        "  common_lb_config:",
        "    consistent_hashing_lb_config: {hash_balance_factor: " + factor + "}",
        "  # and on the route: hash_policy: [{header: {header_name: x-wasm-module}}]",
        "",
        "HAProxy (backend):",
        "  balance hdr(x-wasm-module)",
        "  hash-type consistent",
        "  hash-balance-factor " + factor,
        "",
        "nginx (upstream; it has no load bound, so a hot module's host is not relieved):",
        "  hash $http_x_wasm_module consistent;");
  }

  /**
   * The keep-resident bytes Wasmtime gets, so that every slot keeping them stays within the budget:
   * once every slot has been used, every free slot is warm and keeps this much, so the budget is
   * spread over all slots, rounded down to a page; the fixed setting if it is smaller.
   */
  static long wasmtimeKeepResident(Simulator.Config config, SimResult best, long budget) {
    long perSlot = budget / config.slots() / 4096 * 4096;
    long wanted = best.memory().adaptive() ? config.bytesPerSlot() : best.memory().bytes();
    return Math.min(perSlot, wanted);
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

  static String wasmtimeFlags(Simulator.Config config, SimResult best, long budget) {
    return "wasmtime run -O pooling-allocator=y,pooling-total-memories="
        + config.slots()
        + ",pooling-total-core-instances="
        + config.slots()
        + ",pooling-max-unused-warm-slots="
        + best.maxWarm()
        + ",pooling-memory-keep-resident="
        + wasmtimeKeepResident(config, best, budget)
        + " app.wasm";
  }

  static String rust(Simulator.Config config, SimResult best, long budget) {
    return String.join(
        "\n",
        "  use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};",
        "",
        "  fn engine() -> wasmtime::Result<Engine> {",
        "      let mut pool = PoolingAllocationConfig::default();",
        "      pool.total_memories(" + config.slots() + ")",
        "          .total_core_instances(" + config.slots() + ")",
        "          .max_unused_warm_slots(" + best.maxWarm() + ")",
        "          .linear_memory_keep_resident("
            + wasmtimeKeepResident(config, best, budget)
            + ");",
        "      let mut config = Config::new();",
        "      config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));",
        "      Engine::new(&config)",
        "  }");
  }

  private static String note(Simulator.Config config, SimResult best, long budget) {
    long keep = wasmtimeKeepResident(config, best, budget);
    String spread =
        " Wasmtime has no pool-wide resident budget, and once every slot has been used every free"
            + " slot keeps its keep-resident: here the budget spread over the "
            + config.slots()
            + " slots, rounded down to a page ("
            + config.slots()
            + " x "
            + keep
            + " = "
            + Sizes.format((double) keep * config.slots())
            + " at most)"
            + (!best.memory().adaptive() && keep < best.memory().bytes()
                ? ", less than the " + Sizes.format(best.memory().bytes()) + " chosen above."
                : ".");
    String fleet = config.hosts() > 1 ? " Each of the " + config.hosts() + " hosts gets this." : "";
    return "(Wasmtime applies max_unused_warm_slots per pool stripe; slotpool's budget is for the"
        + " whole pool."
        + spread
        + fleet
        + ")";
  }
}
