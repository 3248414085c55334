/**
 * Pooled off-heap memory slots over the Foreign Function &amp; Memory API: one reservation,
 * copy-on-write images, keep-resident resets and batched decommit.
 */
module dev.slotpool.memory {
  requires transitive dev.slotpool.index;
  requires jdk.jfr;

  exports dev.slotpool.memory;
}
