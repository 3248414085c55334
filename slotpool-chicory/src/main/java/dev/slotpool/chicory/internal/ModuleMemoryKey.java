package dev.slotpool.chicory.internal;

/**
 * The affinity key of one memory of one parsed module. Equality is identity: one key is made per
 * module plan, so two parses of the same bytes are two keys, and a key never keeps the module
 * itself reachable from the pool's warm slots.
 */
public final class ModuleMemoryKey {
  private final String module;
  private final int memoryIndex;

  ModuleMemoryKey(String module, int memoryIndex) {
    this.module = module;
    this.memoryIndex = memoryIndex;
  }

  public int memoryIndex() {
    return memoryIndex;
  }

  @Override
  public String toString() {
    return module + " memory " + memoryIndex;
  }
}
