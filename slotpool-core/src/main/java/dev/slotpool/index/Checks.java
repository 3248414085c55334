package dev.slotpool.index;

import java.util.Objects;

/**
 * The argument checks and messages the three allocators share, so that the same bad call gets the
 * same exception from each.
 */
final class Checks {
  private Checks() {}

  static void capacity(int capacity) {
    if (capacity < 0 || capacity > AffinityIndexAllocator.MAX_CAPACITY) {
      throw new IllegalArgumentException(
          "capacity: "
              + capacity
              + " (expected: 0 <= capacity <= "
              + AffinityIndexAllocator.MAX_CAPACITY
              + ")");
    }
  }

  static void maxUnusedWarmSlots(int maxUnusedWarmSlots) {
    if (maxUnusedWarmSlots < 0) {
      throw new IllegalArgumentException(
          "maxUnusedWarmSlots: " + maxUnusedWarmSlots + " (expected: >= 0)");
    }
  }

  /** The checks of {@code free} that need no state: the slot's range and the byte count's sign. */
  static void freeArguments(int slot, int capacity, long bytesResident) {
    Objects.checkIndex(slot, capacity);
    if (bytesResident < 0) {
      throw new IllegalArgumentException("bytesResident: " + bytesResident + " (expected: >= 0)");
    }
  }

  static IllegalStateException notInUse(int slot, boolean warm) {
    return new IllegalStateException(
        warm
            ? "slot " + slot + " is not in use (it is warm): was it freed twice?"
            : "slot " + slot + " is not in use (it was never allocated)");
  }

  /** Returns {@code total + bytesResident}, both non-negative, or throws if the sum overflows. */
  static long addResident(long total, long bytesResident) {
    long sum = total + bytesResident;
    if (sum < 0) {
      throw new IllegalArgumentException(
          "bytesResident: "
              + bytesResident
              + " (expected: a total resident below 2^63, is "
              + total
              + ")");
    }
    return sum;
  }
}
