/** Pooled linear memories for the Chicory WebAssembly runtime. */
module dev.slotpool.chicory {
  requires transitive dev.slotpool.memory;
  requires transitive com.dylibso.chicory.runtime;

  exports dev.slotpool.chicory;
}
