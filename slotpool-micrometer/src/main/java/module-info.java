/** Micrometer meters for slotpool's pools: {@link dev.slotpool.micrometer.SlotpoolMetrics}. */
// Micrometer names itself in its manifest (an automatic module); the binder's API exposes it.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.slotpool.micrometer {
  requires transitive dev.slotpool.memory;
  requires transitive dev.slotpool.chicory;
  requires transitive micrometer.core;

  exports dev.slotpool.micrometer;
}
