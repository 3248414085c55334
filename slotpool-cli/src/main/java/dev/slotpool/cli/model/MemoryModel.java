package dev.slotpool.cli.model;

import dev.slotpool.cli.input.BadInputException;

/**
 * Which bytes a pool keeps resident in its warm slots: the pool's reset policy.
 *
 * <p>{@code adaptive} (the pool's default): on release every page the use wrote is restored by hand
 * and kept resident, within a pool-wide budget of {@code bytes}; when the budget binds, the coldest
 * warm slots (freed longest ago) are decommitted first. They stay warm (their key's affinity holds)
 * but their next use faults every page in again. {@code fixed} (Wasmtime's {@code
 * linear_memory_keep_resident}): each freed slot keeps at most {@code bytes} resident, with no
 * pool-wide bound.
 *
 * @param adaptive whether the adaptive policy applies
 * @param bytes the pool-wide resident budget (adaptive) or the per-slot keep-resident (fixed)
 */
public record MemoryModel(boolean adaptive, long bytes) {
  /** Checks the size. */
  public MemoryModel {
    if (bytes < 0) {
      throw new BadInputException(
          (adaptive ? "--resident-budget: " : "--keep-resident: ") + bytes + " (expected: >= 0)");
    }
  }

  /** The adaptive policy with a pool-wide resident budget. */
  public static MemoryModel adaptive(long residentBudget) {
    return new MemoryModel(true, residentBudget);
  }

  /** The fixed policy: each freed slot keeps at most {@code keepResident} bytes. */
  public static MemoryModel fixed(long keepResident) {
    return new MemoryModel(false, keepResident);
  }

  /** The policy's name in reports: adaptive or fixed. */
  public String label() {
    return adaptive ? "adaptive" : "fixed";
  }
}
