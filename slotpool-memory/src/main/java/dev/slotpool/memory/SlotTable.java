package dev.slotpool.memory;

import dev.slotpool.memory.internal.SlotMemory;

/**
 * The pool's per-slot bookkeeping: which image each slot maps (and holds), which key its last lease
 * had, whether it was ever used, and which lease holds it now.
 *
 * <p>Not thread-safe per slot: a slot's entries are read and written by the slot's owner (the
 * thread the index allocator handed it to, or the cleaner reclaiming its leaked lease), whose free
 * happens-before the next owner's alloc. The lease entries are also read by {@link MemoryPool}'s
 * close and purge, which exclude every owner by holding the lifecycle's write lock.
 */
final class SlotTable {
  /*
   * Implementation notes.
   *
   * Parallel arrays indexed by slot. Invariant: image[s] != null implies the slot maps that image
   * and owns one of its holds; lease[s] != null iff slot s is leased out and that lease has not
   * been released, invalidated or reclaimed. Leases are held through their LeaseRecord, a weak
   * reference, so that an unclosed lease can still become unreachable and be reclaimed.
   */

  private final SlotMemory memory;
  private final MemoryImage[] image;
  private final Object[] key;
  private final boolean[] everUsed;
  private final LeaseRecord[] lease;

  SlotTable(int slots, SlotMemory memory) {
    this.memory = memory;
    this.image = new MemoryImage[slots];
    this.key = new Object[slots];
    this.everUsed = new boolean[slots];
    this.lease = new LeaseRecord[slots];
  }

  int slots() {
    return image.length;
  }

  /** The image the slot maps and holds, or {@code null}. */
  MemoryImage image(int slot) {
    return image[slot];
  }

  /** Records that the slot now maps {@code held} and owns one of its holds. */
  void holdImage(int slot, MemoryImage held) {
    image[slot] = held;
  }

  /** The key of the slot's last lease, or {@code null} (never used, purged, or failed). */
  Object key(int slot) {
    return key[slot];
  }

  void setKey(int slot, Object k) {
    key[slot] = k;
  }

  boolean everUsed(int slot) {
    return everUsed[slot];
  }

  void markUsed(int slot) {
    everUsed[slot] = true;
  }

  /** The record of the slot's open lease, or {@code null}. */
  LeaseRecord lease(int slot) {
    return lease[slot];
  }

  void setLease(int slot, LeaseRecord l) {
    lease[slot] = l;
  }

  /** Replaces what the slot maps with fresh inaccessible memory and drops its image's hold. */
  void unmapSlot(int slot) {
    memory.clear(slot);
    MemoryImage held = image[slot];
    if (held != null) {
      image[slot] = null;
      held.release();
    }
  }

  /** Drops every slot's image hold without touching the memory (the pool is unmapping it). */
  void releaseAllImages() {
    for (int s = 0; s < image.length; s++) {
      MemoryImage held = image[s];
      if (held != null) {
        image[s] = null;
        held.release();
      }
    }
  }
}
