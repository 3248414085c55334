package dev.slotpool.index;

import static dev.slotpool.index.AffinityAllocator.NO_SLOT;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The allocator's rules from DESIGN.md written as plainly as possible with java.util collections,
 * in O(n) where that is simpler. Property tests run it beside the real allocators.
 *
 * <p>One observation makes it short: both the warm list and every key's list are in the order the
 * slots were freed, so "the key's most recently freed warm slot" is the last slot in the warm list
 * with that key.
 */
final class ReferenceModel {
  private final int capacity;
  private final int maxUnusedWarmSlots;
  private int nextCold;
  private final Map<Integer, Object> used = new HashMap<>();
  private final List<Integer> warm = new ArrayList<>();
  private final Map<Integer, Object> warmKey = new HashMap<>();
  private final Map<Integer, Long> warmBytes = new HashMap<>();
  private long hits;
  private long misses;
  private long evictions;
  private long failures;

  ReferenceModel(int capacity, int maxUnusedWarmSlots) {
    this.capacity = capacity;
    this.maxUnusedWarmSlots = maxUnusedWarmSlots;
  }

  int alloc(Object key) {
    if (key != null) {
      int slot = takeAffine(key);
      if (slot != NO_SLOT) {
        hits++;
        used.put(slot, key);
        return slot;
      }
      misses++;
    }
    int slot;
    if (warm.size() < maxUnusedWarmSlots) {
      slot = takeCold();
      if (slot == NO_SLOT) {
        slot = evict();
      }
    } else {
      slot = evict();
      if (slot == NO_SLOT) {
        slot = takeCold();
      }
    }
    if (slot == NO_SLOT) {
      failures++;
      return NO_SLOT;
    }
    used.put(slot, key);
    return slot;
  }

  int allocAffineAndClearAffinity(Object key) {
    Objects.requireNonNull(key);
    int slot = takeAffine(key);
    if (slot != NO_SLOT) {
      used.put(slot, null);
    }
    return slot;
  }

  void free(int slot, long bytesResident) {
    if (slot < 0 || slot >= capacity) {
      throw new IndexOutOfBoundsException();
    }
    if (bytesResident < 0) {
      throw new IllegalArgumentException();
    }
    if (!used.containsKey(slot)) {
      throw new IllegalStateException();
    }
    warmKey.put(slot, used.remove(slot));
    warmBytes.put(slot, bytesResident);
    warm.add(slot);
  }

  private int takeAffine(Object key) {
    for (int i = warm.size() - 1; i >= 0; i--) {
      if (key.equals(warmKey.get(warm.get(i)))) {
        return takeWarm(i);
      }
    }
    return NO_SLOT;
  }

  private int takeCold() {
    return nextCold < capacity ? nextCold++ : NO_SLOT;
  }

  private int evict() {
    if (warm.isEmpty()) {
      return NO_SLOT;
    }
    evictions++;
    return takeWarm(0);
  }

  private int takeWarm(int index) {
    int slot = warm.remove(index);
    warmKey.remove(slot);
    warmBytes.remove(slot);
    return slot;
  }

  boolean isUsed(int slot) {
    return used.containsKey(slot);
  }

  List<Integer> warmSlots() {
    return List.copyOf(warm);
  }

  Set<Object> affineKeys() {
    Set<Object> keys = new HashSet<>();
    for (int slot : warm) {
      if (warmKey.get(slot) != null) {
        keys.add(warmKey.get(slot));
      }
    }
    return keys;
  }

  AllocatorStats stats() {
    long bytes = 0;
    for (long b : warmBytes.values()) {
      bytes += b;
    }
    return new AllocatorStats(
        capacity, used.size(), warm.size(), bytes, hits, misses, nextCold, evictions, failures);
  }
}
