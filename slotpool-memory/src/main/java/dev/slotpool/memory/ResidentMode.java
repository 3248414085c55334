package dev.slotpool.memory;

/** How a {@link MemoryPool} decides what a reset keeps resident. */
public enum ResidentMode {
  /**
   * Every page a lease wrote (pages it grew into included) is restored by hand and stays resident,
   * within the pool's resident budget; when the budget binds, the coldest warm slots are
   * decommitted first. The default.
   */
  ADAPTIVE,

  /**
   * At most {@link MemoryPool.Builder#keepResidentBytes keepResidentBytes} of each slot stay
   * resident, restored by hand; the rest is decommitted on every release (Wasmtime's {@code
   * linear_memory_keep_resident}).
   */
  FIXED
}
