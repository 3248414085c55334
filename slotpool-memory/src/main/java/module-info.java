/**
 * Pooled off-heap memory slots over the Foreign Function &amp; Memory API: one reservation,
 * copy-on-write images, keep-resident resets and batched decommit.
 */
// The runtime modules are not observable when this one compiles.
@SuppressWarnings("module")
module dev.slotpool.memory {
  requires transitive dev.slotpool.index;
  requires jdk.jfr;
  requires transitive java.management; // PoolMBean (JMX): its objectName() is an ObjectName

  exports dev.slotpool.memory;
  exports dev.slotpool.memory.internal to
      dev.slotpool.chicory,
      dev.slotpool.endive;
}
