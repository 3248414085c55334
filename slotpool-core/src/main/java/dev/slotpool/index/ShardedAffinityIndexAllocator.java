package dev.slotpool.index;

import dev.slotpool.index.internal.KeyTable;
import dev.slotpool.index.internal.SharedCounters;
import dev.slotpool.index.internal.Stripe;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A concurrent affinity allocator that scales across threads and still finds a key's warm slot
 * wherever it is: the rules of {@link AffinityIndexAllocator}, with the warm slots striped by key.
 *
 * <p>Used from one thread at a time it is exactly an {@link AffinityIndexAllocator} with the same
 * capacity and threshold: every call returns the same slot, throws the same exception, and leaves
 * the same statistics. Concurrent calls on keys of different stripes do not wait for each other.
 *
 * <p>What it keeps under concurrency, as the exact allocator does:
 *
 * <ul>
 *   <li>a slot is never held twice and never lost, and {@link #unusedBytesResident()} is the exact
 *       sum over the warm slots;
 *   <li>an allocation for a key that has a warm slot takes that key's most recently freed one,
 *       wherever it was freed from; it never takes a cold or an unrelated warm slot instead;
 *   <li>one warm budget, {@code maxUnusedWarmSlots}, for the whole allocator;
 *   <li>cold slots go out in ascending order; {@code NO_SLOT} means that every slot was in use at
 *       one instant during the call;
 *   <li>an eviction takes the slot that was least recently freed at one instant during the call;
 *   <li>{@link #stats()}, {@link #isEmpty()}, {@link #unusedWarmSlots()} and {@link
 *       #unusedBytesResident()} are atomic snapshots.
 * </ul>
 *
 * <p>What it relaxes, only when calls overlap:
 *
 * <ul>
 *   <li>the choice between a cold slot and an eviction compares {@code maxUnusedWarmSlots} with a
 *       sum of per-stripe warm counts read one after the other, which may be off by the number of
 *       frees and warm allocations running at that moment;
 *   <li>an allocation that misses and then evicts from another stripe has released its key's stripe
 *       by then, so a slot for its key freed in that window goes unused by it (the call is still
 *       counted as a miss, and the slot stays warm for the next call);
 *   <li>an eviction that runs with frees of slots of another key or stripe is ordered by the moment
 *       each free took its stamp, not by when it returned.
 * </ul>
 *
 * <p>Thread-safe. Actions before {@link #free} of a slot happen-before whatever follows the
 * allocation that next returns it. Misuse (freeing a slot one does not hold) is detected as by the
 * exact allocator when it does not race with the slot's legitimate use. A rejected call throws and
 * leaves the allocator as it was. O(1) expected per call on the affine path, O(shards) on a miss;
 * no allocation per call once each stripe's key table has grown to its peak.
 *
 * @param <K> the affinity key, compared with {@code equals} and {@code hashCode}
 */
public final class ShardedAffinityIndexAllocator<K> implements AffinityAllocator<K> {
  /*
   * Implementation notes.
   *
   * Stripes by key, not by thread. A key's warm slots all live in the stripe its hash selects
   * (stripeOf: the hash times the stripe count, high 32 bits, so no power of two is needed and
   * the bits the key table probes with stay independent of the stripe); a warm slot without a key
   * lives in a stripe chosen by its index. Each stripe (internal.Stripe, padded against false
   * sharing) has its own monitor and the exact allocator's structure for its warm slots: an LRU
   * list and one list per key through the shared link arrays (a warm slot is on one stripe's
   * lists only, and only that stripe's monitor touches its links), and a KeyTable that grows by
   * doubling up to the capacity, so memory is O(capacity + keys) rather than O(shards x
   * capacity). An affine hit and a free lock one stripe.
   *
   * Global order: every free takes a stamp from one counter (internal.SharedCounters, padded) while it
   * holds its stripe, so each stripe's LRU list is sorted by stamp and the least recently freed
   * warm slot is the stripe head with the smallest stamp. An eviction reads every head without
   * locking (O(shards), miss path only), locks the stripe of the smallest, scans again, and takes
   * that head if the stripe is still the oldest; otherwise it retries with the new pick. Head stamps only grow and new stamps are
   * larger than every older one, so a validated head is the global least recently freed slot at
   * the moment it is taken. The counter is the one contended write a free makes; see
   * SharedCounters.
   *
   * Cold slots: nextCold advances by CAS, so cold slots go out in ascending order. A slot is
   * marked used (key written, then state with release) after it leaves its list or the counter;
   * a free that sees a cold state below nextCold waits for that mark. state is written only by
   * the slot's stripe monitor or by the one thread that took it cold.
   *
   * Allocation with a key: under the key's stripe, a hit; otherwise, still under it, the cold slot
   * or the eviction from that same stripe that the exact rules choose; otherwise it leaves the
   * stripe and goes on like an allocation without a key. An apparent "nothing free" is confirmed
   * with every stripe locked (in index order, so never a deadlock), which makes NO_SLOT exact.
   *
   * Resident bytes: each stripe sums its own. The total must stay below 2^63 as in the exact
   * allocator without a shared counter on the free path: while no stripe holds more than
   * Long.MAX_VALUE / shards (bytesLimit), the sum cannot overflow; a free that would push its
   * stripe past that bound locks every stripe and checks the true total. bigStripes counts the
   * stripes past the bound and is written only when one crosses it (practically never).
   *
   * Counters: hits, misses and evictions per stripe under its monitor; coldAllocations is
   * nextCold; inUse is nextCold minus the warm slots; failures are counted with every stripe
   * locked. stats() locks every stripe and reads nextCold once, so it is a snapshot.
   *
   * Invariants (checked by checkInvariants): each stripe's LRU list holds exactly its warm slots,
   * in increasing stamp order, with warm and bytes matching; every keyed warm slot is on its key's
   * list in the key's stripe; inUse == nextCold - warm == the number of USED slots; slots at or
   * above nextCold are cold.
   */

  private static final int NIL = KeyTable.NIL;
  private static final int COLD = 0;
  private static final int USED = 1;
  private static final int WARM = 2;
  private static final int FAILED = -2;

  /** The most slots one allocator may have, as for {@link AffinityIndexAllocator}. */
  public static final int MAX_CAPACITY = AffinityIndexAllocator.MAX_CAPACITY;

  /** The most stripes one allocator may have. */
  public static final int MAX_SHARDS = 1024;

  private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(int[].class);
  private static final VarHandle STAMP = MethodHandles.arrayElementVarHandle(long[].class);

  private final int capacity;
  private final int maxUnusedWarmSlots;
  private final int shards;
  private final long bytesLimit;
  private final Stripe[] stripes;
  private final SharedCounters clock;

  private final int[] state;
  private final Object[] slotKey;
  private final long[] resident;
  private final long[] freedAt;
  private final int[] warmPrev;
  private final int[] warmNext;
  private final int[] keyPrev;
  private final int[] keyNext;

  /** Guarded by every stripe's monitor at once. */
  private long failedAllocations;

  /**
   * Creates an allocator with every slot cold and {@link #defaultShards()} stripes.
   *
   * @param capacity the number of slots, from 0 to {@link #MAX_CAPACITY}
   * @param maxUnusedWarmSlots how many warm slots may accumulate before {@code alloc} evicts the
   *     least recently freed warm slot instead of taking a cold one
   * @throws IllegalArgumentException if either argument is out of range
   */
  public ShardedAffinityIndexAllocator(int capacity, int maxUnusedWarmSlots) {
    this(capacity, maxUnusedWarmSlots, defaultShards());
  }

  /**
   * Creates an allocator with every slot cold.
   *
   * @param capacity the number of slots, from 0 to {@link #MAX_CAPACITY}
   * @param maxUnusedWarmSlots how many warm slots may accumulate before {@code alloc} evicts the
   *     least recently freed warm slot instead of taking a cold one
   * @param shards the number of stripes, from 1 to {@link #MAX_SHARDS}; more stripes make two
   *     threads' keys less likely to share one and make a miss scan longer
   * @throws IllegalArgumentException if an argument is out of range
   */
  public ShardedAffinityIndexAllocator(int capacity, int maxUnusedWarmSlots, int shards) {
    if (capacity < 0 || capacity > MAX_CAPACITY) {
      throw new IllegalArgumentException(
          "capacity: " + capacity + " (expected: 0 <= capacity <= " + MAX_CAPACITY + ")");
    }
    if (maxUnusedWarmSlots < 0) {
      throw new IllegalArgumentException(
          "maxUnusedWarmSlots: " + maxUnusedWarmSlots + " (expected: >= 0)");
    }
    if (shards < 1 || shards > MAX_SHARDS) {
      throw new IllegalArgumentException(
          "shards: " + shards + " (expected: 1 <= shards <= " + MAX_SHARDS + ")");
    }
    this.capacity = capacity;
    this.maxUnusedWarmSlots = maxUnusedWarmSlots;
    this.shards = shards;
    bytesLimit = Long.MAX_VALUE / shards;
    stripes = new Stripe[shards];
    for (int i = 0; i < shards; i++) {
      stripes[i] = new Stripe(capacity);
    }
    clock = new SharedCounters();
    state = new int[capacity];
    slotKey = new Object[capacity];
    resident = new long[capacity];
    freedAt = new long[capacity];
    warmPrev = new int[capacity];
    warmNext = new int[capacity];
    keyPrev = new int[capacity];
    keyNext = new int[capacity];
  }

  /** Four stripes per available processor, at most 64. */
  public static int defaultShards() {
    return Math.min(64, 4 * Runtime.getRuntime().availableProcessors());
  }

  @Override
  public int alloc(K key) {
    if (key == null) {
      return allocUnaffine(null);
    }
    int hash = KeyTable.hash(key);
    Stripe st = stripes[stripeOf(hash)];
    synchronized (st) {
      int entry = st.keys.find(key, hash);
      if (entry != NIL) {
        int slot = st.keys.tail(entry);
        unlinkWarm(st, slot, entry);
        st.hits++;
        markUsed(slot, key);
        return slot;
      }
      st.misses++;
      int slot = allocInOwnStripe(st);
      if (slot >= 0) {
        markUsed(slot, key);
        return slot;
      }
      if (slot == FAILED) {
        return NO_SLOT;
      }
    }
    return allocUnaffine(key);
  }

  @Override
  public int allocAffineAndClearAffinity(K key) {
    Objects.requireNonNull(key, "key");
    int hash = KeyTable.hash(key);
    Stripe st = stripes[stripeOf(hash)];
    synchronized (st) {
      int entry = st.keys.find(key, hash);
      if (entry == NIL) {
        return NO_SLOT;
      }
      int slot = st.keys.tail(entry);
      unlinkWarm(st, slot, entry);
      markUsed(slot, null);
      return slot;
    }
  }

  @Override
  public void free(int slot, long bytesResident) {
    Objects.checkIndex(slot, capacity);
    if (bytesResident < 0) {
      throw new IllegalArgumentException("bytesResident: " + bytesResident + " (expected: >= 0)");
    }
    for (; ; ) {
      int s = (int) STATE.getAcquire(state, slot);
      if (s == COLD && slot < clock.nextCold()) {
        Thread.onSpinWait(); // taken cold a moment ago, not yet marked used
        continue;
      }
      Object key = slotKey[slot];
      Stripe st = stripeFor(key, slot);
      synchronized (st) {
        s = (int) STATE.getAcquire(state, slot);
        if (s == USED && slotKey[slot] != key) {
          continue; // freed and reused by another key meanwhile: only a misuse gets here
        }
        if (s != USED) {
          if (s == COLD && slot < clock.nextCold()) {
            continue;
          }
          throw new IllegalStateException(notInUse(slot, s));
        }
        long bytes = st.bytes;
        if (clock.bigStripes() == 0 && bytesResident <= bytesLimit - bytes) {
          makeWarm(st, slot, key, bytesResident);
          return;
        }
      }
      freeLockingAll(0, slot, bytesResident);
      return;
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

  /** The number of stripes given at construction. */
  public int shards() {
    return shards;
  }

  @Override
  public boolean isEmpty() {
    return stats().inUse() == 0;
  }

  @Override
  public int unusedWarmSlots() {
    return stats().unusedWarmSlots();
  }

  @Override
  public long unusedBytesResident() {
    return stats().unusedBytesResident();
  }

  @Override
  public AllocatorStats stats() {
    return statsLockingAll(0);
  }

  @Override
  public String toString() {
    AllocatorStats s = stats();
    return "ShardedAffinityIndexAllocator[capacity="
        + capacity
        + ", maxUnusedWarmSlots="
        + maxUnusedWarmSlots
        + ", shards="
        + shards
        + ", inUse="
        + s.inUse()
        + ", unusedWarmSlots="
        + s.unusedWarmSlots()
        + "]";
  }

  // ---- allocation without a hit ----

  /**
   * With {@code own} locked after a miss: the cold slot, or the eviction from {@code own}, that the
   * exact rules choose; NIL if the choice lies in another stripe or nothing looks free, or FAILED
   * (counted) if {@code own} is the only stripe and nothing is free.
   */
  private int allocInOwnStripe(Stripe own) {
    boolean coldFirst = warmCount() < maxUnusedWarmSlots;
    if (coldFirst) {
      int slot = clock.takeCold(capacity);
      if (slot != NIL) {
        return slot;
      }
    }
    Stripe oldest = oldestStripe();
    if (oldest == own) {
      return evictHead(own);
    }
    int slot = oldest == null && !coldFirst ? clock.takeCold(capacity) : NIL;
    if (slot == NIL && oldest == null && shards == 1) {
      failedAllocations++; // own is every stripe: the failure is exact here
      return FAILED;
    }
    return slot;
  }

  /** The allocation path that needs no stripe held: no key, or a key that has missed. */
  private int allocUnaffine(K key) {
    boolean coldFirst = warmCount() < maxUnusedWarmSlots;
    if (coldFirst) {
      int slot = clock.takeCold(capacity);
      if (slot != NIL) {
        markUsed(slot, key);
        return slot;
      }
    }
    for (Stripe st = oldestStripe(); st != null; st = oldestStripe()) {
      synchronized (st) {
        // Other heads only get younger while st is held, so a rescan that still picks st proves
        // its head is the least recently freed slot now.
        if (oldestStripe() == st) {
          int slot = evictHead(st);
          markUsed(slot, key);
          return slot;
        }
      }
    }
    if (!coldFirst) {
      int slot = clock.takeCold(capacity);
      if (slot != NIL) {
        markUsed(slot, key);
        return slot;
      }
    }
    return allocLockingAll(0, key);
  }

  /** With every stripe locked: what the exact rules give after a miss, or a counted failure. */
  private int allocLockingAll(int i, K key) {
    if (i < shards) {
      synchronized (stripes[i]) {
        return allocLockingAll(i + 1, key);
      }
    }
    int slot;
    if (warmCount() < maxUnusedWarmSlots) {
      slot = clock.takeCold(capacity);
      if (slot == NIL) {
        slot = evictOldestLocked();
      }
    } else {
      slot = evictOldestLocked();
      if (slot == NIL) {
        slot = clock.takeCold(capacity);
      }
    }
    if (slot == NIL) {
      failedAllocations++;
      return NO_SLOT;
    }
    markUsed(slot, key);
    return slot;
  }

  private int evictOldestLocked() {
    Stripe st = oldestStripe();
    return st == null ? NIL : evictHead(st);
  }

  /** The stripe whose head is the least recently freed warm slot, or null if none is warm. */
  private Stripe oldestStripe() {
    final Stripe[] stripes = this.stripes;
    Stripe oldest = null;
    long oldestStamp = Long.MAX_VALUE;
    for (Stripe st : stripes) {
      int head = st.warmHeadOpaque();
      if (head != NIL) {
        long stamp = (long) STAMP.getOpaque(freedAt, head);
        if (stamp < oldestStamp) {
          oldest = st;
          oldestStamp = stamp;
        }
      }
    }
    return oldest;
  }

  /** The warm slots summed over the stripes; exact when no call runs concurrently. */
  private int warmCount() {
    int sum = 0;
    for (Stripe st : stripes) {
      sum += st.warmOpaque();
    }
    return sum;
  }

  /** Takes the head of {@code st}, which the caller holds and which must not be empty. */
  private int evictHead(Stripe st) {
    int slot = st.warmHead;
    Object key = slotKey[slot];
    unlinkWarm(st, slot, key == null ? NIL : st.keys.find(key, KeyTable.hash(key)));
    st.evictions++;
    return slot;
  }

  private void markUsed(int slot, Object key) {
    slotKey[slot] = key;
    STATE.setRelease(state, slot, USED);
  }

  // ---- free ----

  private void freeLockingAll(int i, int slot, long bytesResident) {
    if (i < shards) {
      synchronized (stripes[i]) {
        freeLockingAll(i + 1, slot, bytesResident);
        return;
      }
    }
    int s;
    while ((s = (int) STATE.getAcquire(state, slot)) == COLD && slot < clock.nextCold()) {
      Thread.onSpinWait(); // the cold taker needs no stripe
    }
    if (s != USED) {
      throw new IllegalStateException(notInUse(slot, s));
    }
    long total = 0;
    for (Stripe st : stripes) {
      total += st.bytes;
    }
    if (total + bytesResident < 0) {
      throw new IllegalArgumentException(
          "bytesResident: "
              + bytesResident
              + " (expected: a total resident below 2^63, is "
              + total
              + ")");
    }
    Object key = slotKey[slot];
    Stripe st = stripeFor(key, slot);
    boolean wasBig = st.bytes > bytesLimit;
    makeWarm(st, slot, key, bytesResident);
    if (!wasBig && st.bytes > bytesLimit) {
      clock.addBigStripes(1);
    }
  }

  /** With {@code st} held: the used slot becomes its most recently freed warm slot. */
  private void makeWarm(Stripe st, int slot, Object key, long bytesResident) {
    st.bytes += bytesResident;
    resident[slot] = bytesResident;
    STAMP.setOpaque(freedAt, slot, clock.nextStamp());
    STATE.setRelease(state, slot, WARM);
    int tail = st.warmTail;
    warmPrev[slot] = tail;
    warmNext[slot] = NIL;
    if (tail == NIL) {
      st.setWarmHead(slot);
    } else {
      warmNext[tail] = slot;
    }
    st.warmTail = slot;
    st.setWarm(st.warm + 1);
    if (key != null) {
      appendAffine(st, slot, key);
    }
  }

  private void appendAffine(Stripe st, int slot, Object key) {
    int hash = KeyTable.hash(key);
    int entry = st.keys.find(key, hash);
    keyNext[slot] = NIL;
    if (entry == NIL) {
      keyPrev[slot] = NIL;
      st.insertKey(key, hash, slot);
    } else {
      int tail = st.keys.tail(entry);
      keyPrev[slot] = tail;
      keyNext[tail] = slot;
      st.keys.setTail(entry, slot);
    }
  }

  /** With {@code st} held: takes a warm slot off its lists; {@code entry} is its key's or NIL. */
  private void unlinkWarm(Stripe st, int slot, int entry) {
    int prev = warmPrev[slot];
    int next = warmNext[slot];
    if (prev == NIL) {
      st.setWarmHead(next);
    } else {
      warmNext[prev] = next;
    }
    if (next == NIL) {
      st.warmTail = prev;
    } else {
      warmPrev[next] = prev;
    }
    if (entry != NIL) {
      KeyTable keys = st.keys;
      prev = keyPrev[slot];
      next = keyNext[slot];
      if (prev == NIL) {
        keys.setHead(entry, next);
      } else {
        keyNext[prev] = next;
      }
      if (next == NIL) {
        keys.setTail(entry, prev);
      } else {
        keyPrev[next] = prev;
      }
      if (keys.head(entry) == NIL) {
        keys.remove(entry);
      }
    }
    st.setWarm(st.warm - 1);
    long before = st.bytes;
    st.bytes = before - resident[slot];
    if (before > bytesLimit && st.bytes <= bytesLimit) {
      clock.addBigStripes(-1);
    }
    resident[slot] = 0;
  }

  // ---- stripes ----

  private Stripe stripeFor(Object key, int slot) {
    return stripes[key == null ? stripeOf(slot * 0x9E3779B9) : stripeOf(KeyTable.hash(key))];
  }

  /** Maps a hash to {@code [0, shards)} by its high bits (Lemire's multiply-shift range map). */
  private int stripeOf(int hash) {
    return (int) (((hash & 0xFFFF_FFFFL) * shards) >>> 32);
  }

  private AllocatorStats statsLockingAll(int i) {
    if (i < shards) {
      synchronized (stripes[i]) {
        return statsLockingAll(i + 1);
      }
    }
    int warm = 0;
    long bytes = 0;
    long hits = 0;
    long misses = 0;
    long evictions = 0;
    for (Stripe st : stripes) {
      warm += st.warm;
      bytes += st.bytes;
      hits += st.hits;
      misses += st.misses;
      evictions += st.evictions;
    }
    int cold = clock.nextCold();
    return new AllocatorStats(
        capacity, cold - warm, warm, bytes, hits, misses, cold, evictions, failedAllocations);
  }

  private String notInUse(int slot, int s) {
    return s == WARM
        ? "slot " + slot + " is not in use (it is warm): was it freed twice?"
        : "slot " + slot + " is not in use (it was never allocated)";
  }

  // ---- test support: package-private, O(capacity), call only when no other call runs ----

  /** The warm slots, least recently freed first. */
  List<Integer> warmSlots() {
    List<Integer> out = new ArrayList<>();
    for (Stripe st : stripes) {
      for (int s = st.warmHead; s != NIL; s = warmNext[s]) {
        out.add(s);
      }
    }
    out.sort(Comparator.comparingLong(s -> freedAt[s]));
    return out;
  }

  /** The keys that have at least one warm slot. */
  Set<Object> affineKeys() {
    Set<Object> out = new HashSet<>();
    for (Stripe st : stripes) {
      for (int i = 0; i < st.keys.length(); i++) {
        if (st.keys.keyAt(i) != null) {
          out.add(st.keys.keyAt(i));
        }
      }
    }
    return out;
  }

  /** Walks every list and checks every invariant in the implementation notes. */
  void checkInvariants() {
    int warmTotal = 0;
    int keyedTotal = 0;
    int onKeyLists = 0;
    for (int i = 0; i < shards; i++) {
      Stripe st = stripes[i];
      int warm = 0;
      long bytes = 0;
      int prev = NIL;
      for (int s = st.warmHead; s != NIL; s = warmNext[s]) {
        check(state[s] == WARM, "slot %d on stripe %d's list is not warm", s, i);
        check(warmPrev[s] == prev, "slot %d: warmPrev %d, expected %d", s, warmPrev[s], prev);
        check(prev == NIL || freedAt[prev] < freedAt[s], "stripe %d not in stamp order", i);
        check(stripeFor(slotKey[s], s) == st, "slot %d is warm in stripe %d, not its own", s, i);
        check(++warm <= capacity, "stripe %d's list has a cycle", i);
        bytes += resident[s];
        keyedTotal += slotKey[s] != null ? 1 : 0;
        prev = s;
      }
      check(st.warmTail == prev, "stripe %d: warmTail %d, expected %d", i, st.warmTail, prev);
      check(st.warm == warm, "stripe %d: warm %d, list holds %d", i, st.warm, warm);
      check(st.bytes == bytes, "stripe %d: bytes %d, slots hold %d", i, st.bytes, bytes);
      warmTotal += warm;

      KeyTable keys = st.keys;
      for (int e = 0; e < keys.length(); e++) {
        Object key = keys.keyAt(e);
        if (key == null) {
          continue;
        }
        check(keys.find(key, KeyTable.hash(key)) == e, "key %s not found at its entry", key);
        check(keys.head(e) != NIL, "key %s has an empty list", key);
        prev = NIL;
        for (int s = keys.head(e); s != NIL; s = keyNext[s]) {
          check(state[s] == WARM, "slot %d on %s's list is not warm", s, key);
          check(key.equals(slotKey[s]), "slot %d on %s's list is affine to %s", s, key, slotKey[s]);
          check(keyPrev[s] == prev, "slot %d: keyPrev %d, expected %d", s, keyPrev[s], prev);
          check(++onKeyLists <= capacity, "key list of %s has a cycle", key);
          prev = s;
        }
        check(keys.tail(e) == prev, "key %s: tail %d, expected %d", key, keys.tail(e), prev);
      }
    }
    check(
        onKeyLists == keyedTotal,
        "%d slots on key lists, %d warm with a key",
        onKeyLists,
        keyedTotal);
    int nextCold = clock.nextCold();
    int used = 0;
    for (int s = 0; s < capacity; s++) {
      used += state[s] == USED ? 1 : 0;
      check(s < nextCold || state[s] == COLD, "slot %d >= nextCold %d is not cold", s, nextCold);
      check(s >= nextCold || state[s] != COLD, "slot %d < nextCold %d is cold", s, nextCold);
    }
    check(used == nextCold - warmTotal, "%d slots used, expected %d", used, nextCold - warmTotal);
  }

  private static void check(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new AssertionError(String.format(format, args));
    }
  }
}
