/** Pooled linear memories for the Chicory WebAssembly runtime. */
module dev.slotpool.chicory {
  requires transitive dev.slotpool.memory;
  requires transitive com.dylibso.chicory.runtime;
  requires transitive com.dylibso.chicory.wasi;
  requires com.dylibso.chicory.log;

  exports dev.slotpool.chicory;
}
