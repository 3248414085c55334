package dev.slotpool.index;

import dev.slotpool.index.internal.KeyTable;
import dev.slotpool.index.internal.Stripe;
import dev.slotpool.index.internal.WarmLists;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The exact affinity allocator: Wasmtime's {@code ModuleAffinityIndexAllocator}, with generic keys.
 *
 * <p>{@link #alloc(Object) alloc(key)} picks, in order:
 *
 * <ol>
 *   <li>if {@code key} is not null and has warm slots, its most recently freed one;
 *   <li>otherwise, while fewer than {@code maxUnusedWarmSlots} slots are warm, the lowest cold
 *       slot, or if none is left the least recently freed warm slot;
 *   <li>otherwise the least recently freed warm slot, or if none is warm the lowest cold slot;
 *   <li>if no slot is free, {@link #NO_SLOT}.
 * </ol>
 *
 * <p>So a module keeps finding its own warm slots, fresh slots are used first while few slots are
 * warm, and once {@code maxUnusedWarmSlots} are warm the least recently used one is evicted rather
 * than a fresh slot being touched. Every operation is O(1) (expected, for the key lookup) and
 * allocates nothing once constructed.
 *
 * <p>Thread-safe: every method is atomic with respect to the others, as under one lock. Actions
 * before {@link #free} of a slot happen-before whatever follows the {@code alloc} that next returns
 * it. For throughput across many threads, see {@link ShardedAffinityIndexAllocator}.
 *
 * <p>A rejected call throws and leaves the allocator exactly as it was.
 *
 * @param <K> the affinity key, compared with {@code equals} and {@code hashCode}
 */
public final class AffinityIndexAllocator<K> implements AffinityAllocator<K> {
  /*
   * Implementation notes.
   *
   * Slots 0..nextCold-1 have been used at least once; slots nextCold..capacity-1 are cold, so
   * taking the lowest cold slot is nextCold++. state[s] says USED, WARM or COLD.
   *
   * Warm slots sit on two intrusive doubly linked lists (WarmLists, the code the sharded
   * allocator's stripes use too): the warm list (head = least recently freed) holds every warm
   * slot, and each key's list holds that key's warm slots in the same order, with its head and
   * tail kept in the KeyTable entry for the key. The list ends are one Stripe, `ends`, whose key
   * table is sized once. free appends to both; an affine alloc takes the tail of the key's list,
   * an eviction the head of the warm list, and either unlinks the slot from both lists in O(1).
   *
   * Emptied entry: a key whose last warm slot is taken keeps its table entry, with an empty list,
   * as `emptied`, because the slot's holder usually frees it again for the same key soon (the
   * hot alloc/free pair), and a removal (backward shift) plus an insertion per pair cost more
   * than the rest of the pair. At most one entry is empty: when another key's list empties, or a
   * new key must be inserted, the previous emptied entry is removed first. So the table holds at
   * most as many keys as there are warm slots plus one, never more than the capacity (an insert
   * drops the emptied entry first), is sized once, and keeps at most one key reachable that has
   * no warm slot.
   *
   * slotKey[s] is the key a used slot was allocated for, then its affinity while warm; the
   * reference is kept while warm (it identifies the list) and cleared when the slot is taken, so
   * apart from the one emptied entry the allocator does not keep stale keys reachable longer
   * than their warm slots. slotHash[s] is the key's spread hash, taken at alloc.
   *
   * User code: a key's hashCode and equals run only in alloc and allocAffineAndClearAffinity,
   * before anything changes, and in free before anything changes (a throwing equals there frees
   * the slot without affinity). A warm slot's slotKey is its table entry's own key object, so
   * eviction finds the entry by identity (findIdentical) and never calls a key's method while the
   * lists are half changed.
   *
   * Invariants (checked by checkInvariants, the list ones by WarmLists):
   *   warmHead == NIL iff warmTail == NIL iff unusedWarm == 0;
   *   the warm list holds exactly the WARM slots, and unusedBytes is the sum of their resident[];
   *   every WARM slot with a key is on exactly that key's list, and every table entry's list is
   *   non-empty except the one at emptied, if it is not NIL;
   *   inUse is the number of USED slots, and every slot >= nextCold is COLD.
   */

  private static final int NIL = KeyTable.NIL;
  private static final byte COLD = 0;
  private static final byte USED = 1;
  private static final byte WARM = 2;

  /** The most slots one allocator may have. */
  public static final int MAX_CAPACITY = 1 << 28;

  private final Object lock = new Object();
  private final int capacity;
  private final int maxUnusedWarmSlots;

  private final byte[] state;
  private final Object[] slotKey;
  private final int[] slotHash;
  private final long[] resident;
  private final WarmLists lists;
  private final Stripe ends;

  private int nextCold;
  private int unusedWarm;
  private int inUse;
  private long unusedBytes;

  private long affinityHits;
  private long affinityMisses;
  private long coldAllocations;
  private long warmEvictions;
  private long failedAllocations;

  /**
   * Creates an allocator with every slot cold.
   *
   * @param capacity the number of slots, from 0 to {@link #MAX_CAPACITY}
   * @param maxUnusedWarmSlots how many warm slots may accumulate before {@code alloc} evicts the
   *     least recently freed warm slot instead of taking a cold one
   * @throws IllegalArgumentException if either argument is out of range
   */
  public AffinityIndexAllocator(int capacity, int maxUnusedWarmSlots) {
    Checks.capacity(capacity);
    Checks.maxUnusedWarmSlots(maxUnusedWarmSlots);
    this.capacity = capacity;
    this.maxUnusedWarmSlots = maxUnusedWarmSlots;
    state = new byte[capacity];
    slotKey = new Object[capacity];
    slotHash = new int[capacity];
    resident = new long[capacity];
    lists = new WarmLists(capacity);
    ends = Stripe.sizedOnce(capacity);
  }

  @Override
  public int alloc(K key) {
    int hash = key == null ? 0 : KeyTable.hash(key);
    synchronized (lock) {
      if (key != null) {
        KeyTable keys = ends.keys;
        int entry = keys.find(key, hash);
        int slot;
        if (entry != NIL && (slot = keys.tail(entry)) != NIL) {
          unlinkWarm(slot, entry);
          affinityHits++;
          return markUsed(slot, key, hash);
        }
        affinityMisses++;
      }
      int slot;
      if (unusedWarm < maxUnusedWarmSlots) {
        slot = takeCold();
        if (slot == NIL) {
          slot = evictLeastRecentlyFreed();
        }
      } else {
        slot = evictLeastRecentlyFreed();
        if (slot == NIL) {
          slot = takeCold();
        }
      }
      if (slot == NIL) {
        failedAllocations++;
        return NO_SLOT;
      }
      if (state[slot] == COLD) {
        coldAllocations++;
      }
      return markUsed(slot, key, hash);
    }
  }

  @Override
  public int allocAffineAndClearAffinity(K key) {
    Objects.requireNonNull(key, "key");
    int hash = KeyTable.hash(key);
    synchronized (lock) {
      KeyTable keys = ends.keys;
      int entry = keys.find(key, hash);
      int slot;
      if (entry == NIL || (slot = keys.tail(entry)) == NIL) {
        return NO_SLOT;
      }
      unlinkWarm(slot, entry);
      return markUsed(slot, null, 0);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The key's {@code equals} runs before anything changes; if it throws, the slot is freed
   * without affinity (it is never lost) and the call succeeds.
   */
  @Override
  public void free(int slot, long bytesResident) {
    free(slot, bytesResident, true);
  }

  /**
   * As {@link #free}, but the slot becomes warm without affinity, as if it had been allocated with
   * a {@code null} key: for a slot whose key was purged while it was in use.
   *
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, capacity())}
   * @throws IllegalArgumentException if {@code bytesResident} is negative
   * @throws IllegalStateException if {@code slot} is not in use (never allocated, or freed twice)
   */
  public void freeWithoutAffinity(int slot, long bytesResident) {
    free(slot, bytesResident, false);
  }

  private void free(int slot, long bytesResident, boolean affine) {
    Checks.freeArguments(slot, capacity, bytesResident);
    synchronized (lock) {
      if (state[slot] != USED) {
        throw Checks.notInUse(slot, state[slot] == WARM);
      }
      long bytes = Checks.addResident(unusedBytes, bytesResident);
      Object key = affine ? slotKey[slot] : null;
      int entry = NIL;
      if (key != null) {
        try {
          entry = ends.keys.find(key, slotHash[slot]);
        } catch (RuntimeException e) {
          key = null; // a broken equals costs the slot its affinity, never the slot
        }
      }
      unusedBytes = bytes;
      resident[slot] = bytesResident;
      state[slot] = WARM;
      inUse--;
      unusedWarm++;
      lists.appendWarm(ends, slot);
      if (key == null) {
        slotKey[slot] = null;
      } else {
        if (entry != NIL) {
          slotKey[slot] =
              ends.keys.keyAt(entry); // the entry's own key: eviction finds it by identity
        }
        lists.appendAffine(ends, slot, key, slotHash[slot], entry);
      }
    }
  }

  @Override
  public int capacity() {
    return capacity;
  }

  /** The threshold given at construction. */
  public int maxUnusedWarmSlots() {
    return maxUnusedWarmSlots;
  }

  @Override
  public boolean isEmpty() {
    synchronized (lock) {
      return inUse == 0;
    }
  }

  @Override
  public int unusedWarmSlots() {
    synchronized (lock) {
      return unusedWarm;
    }
  }

  @Override
  public long unusedBytesResident() {
    synchronized (lock) {
      return unusedBytes;
    }
  }

  @Override
  public AllocatorStats stats() {
    synchronized (lock) {
      return new AllocatorStats(
          capacity,
          inUse,
          unusedWarm,
          unusedBytes,
          affinityHits,
          affinityMisses,
          coldAllocations,
          warmEvictions,
          failedAllocations);
    }
  }

  @Override
  public String toString() {
    AllocatorStats s = stats();
    return "AffinityIndexAllocator[capacity="
        + capacity
        + ", maxUnusedWarmSlots="
        + maxUnusedWarmSlots
        + ", inUse="
        + s.inUse()
        + ", unusedWarmSlots="
        + s.unusedWarmSlots()
        + "]";
  }

  // ---- list surgery; callers hold the lock ----

  private int takeCold() {
    return nextCold < capacity ? nextCold++ : NIL;
  }

  private int evictLeastRecentlyFreed() {
    int slot = ends.warmHead;
    if (slot != NIL) {
      Object key = slotKey[slot];
      unlinkWarm(slot, key == null ? NIL : ends.keys.findIdentical(key, slotHash[slot]));
      warmEvictions++;
    }
    return slot;
  }

  private int markUsed(int slot, Object key, int hash) {
    state[slot] = USED;
    slotKey[slot] = key;
    slotHash[slot] = hash;
    inUse++;
    return slot;
  }

  /** Takes a warm slot off the warm list and, if {@code entry} is not NIL, off its key's list. */
  private void unlinkWarm(int slot, int entry) {
    lists.unlink(ends, slot, entry);
    unusedWarm--;
    unusedBytes -= resident[slot];
    resident[slot] = 0;
    slotKey[slot] = null;
  }

  // ---- test support: package-private, O(capacity) ----

  /** The warm slots, least recently freed first. */
  List<Integer> warmSlots() {
    synchronized (lock) {
      List<Integer> out = new ArrayList<>();
      for (int s = ends.warmHead; s != NIL; s = lists.warmNext(s)) {
        out.add(s);
      }
      return out;
    }
  }

  /** The keys that have at least one warm slot. */
  Set<Object> affineKeys() {
    synchronized (lock) {
      Set<Object> out = new HashSet<>();
      KeyTable keys = ends.keys;
      for (int i = 0; i < keys.length(); i++) {
        if (keys.keyAt(i) != null && keys.head(i) != NIL) {
          out.add(keys.keyAt(i));
        }
      }
      return out;
    }
  }

  /** Slots that are free: cold or warm (the seed's {@code num_empty_slots}). */
  int emptySlots() {
    synchronized (lock) {
      return capacity - inUse;
    }
  }

  /** Walks every list and checks every invariant in the implementation notes. */
  void checkInvariants() {
    synchronized (lock) {
      long[] bytes = {0};
      int[] keyed = {0};
      int warm =
          lists.checkWarmList(
              ends,
              "allocator",
              capacity,
              s -> {
                check(state[s] == WARM, "slot %d on the warm list is not warm", s);
                bytes[0] += resident[s];
                keyed[0] += slotKey[s] != null ? 1 : 0;
              });
      check(warm == unusedWarm, "unusedWarm %d, warm list holds %d", unusedWarm, warm);
      check(bytes[0] == unusedBytes, "unusedBytes %d, warm slots hold %d", unusedBytes, bytes[0]);
      check((ends.warmHead == NIL) == (warm == 0), "warmHead %d with %d warm", ends.warmHead, warm);
      int onKeyLists =
          lists.checkKeyLists(ends, "allocator", capacity, s -> state[s] == WARM, s -> slotKey[s]);
      check(
          onKeyLists == keyed[0],
          "%d slots on key lists, %d warm with a key",
          onKeyLists,
          keyed[0]);

      int used = 0;
      for (int s = 0; s < capacity; s++) {
        used += state[s] == USED ? 1 : 0;
        check(s < nextCold || state[s] == COLD, "slot %d >= nextCold %d is not cold", s, nextCold);
        check(s >= nextCold || state[s] != COLD, "slot %d < nextCold %d is cold", s, nextCold);
      }
      check(used == inUse, "inUse %d, %d slots used", inUse, used);
    }
  }

  private static void check(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new AssertionError(String.format(format, args));
    }
  }
}
