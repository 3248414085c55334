package dev.slotpool.index;

import static dev.slotpool.index.internal.StripedSlots.COLD;
import static dev.slotpool.index.internal.StripedSlots.USED;
import static dev.slotpool.index.internal.StripedSlots.WARM;

import dev.slotpool.index.internal.KeyTable;
import dev.slotpool.index.internal.SharedCounters;
import dev.slotpool.index.internal.Stripe;
import dev.slotpool.index.internal.StripedSlots;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A concurrent affinity allocator that scales across threads and still finds a key's warm slot
 * wherever it is: the rules of {@link AffinityIndexAllocator}, with the warm slots striped by key.
 *
 * <p>Used from a single thread it is exactly an {@link AffinityIndexAllocator} with the same
 * capacity and threshold: every call returns the same slot, throws the same exception, and leaves
 * the same statistics. (Several threads taking turns without overlapping get the same results
 * except for eviction order, which follows per-thread clocks: see the last relaxation below.)
 * Concurrent calls on keys of different stripes do not wait for each other.
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
 *   <li>an eviction takes a warm slot with the oldest free stamp at one instant during the call;
 *   <li>{@link #stats()}, {@link #isEmpty()}, {@link #unusedWarmSlots()} and {@link
 *       #unusedBytesResident()} are atomic snapshots.
 * </ul>
 *
 * <p>What it relaxes, only with more than one stripe (with one stripe it is linearizable to the
 * exact allocator), and except for the last item only when calls overlap:
 *
 * <ul>
 *   <li>the choice between a cold slot and an eviction compares {@code maxUnusedWarmSlots} with a
 *       sum of per-stripe warm counts read one after the other, which may be off by the number of
 *       frees and warm allocations running at that moment;
 *   <li>an allocation that must evict (or take a cold slot) scans the stripes without locking them;
 *       if it finds nothing warm it takes a cold slot, even if a slot became warm in a stripe it
 *       had already scanned;
 *   <li>an allocation for a key that misses and then evicts from another stripe has released its
 *       key's stripe by then, so a slot for its key freed in that window is not taken as an affine
 *       hit (the call counts as a miss, and may take that very slot as an eviction);
 *   <li>eviction order across threads is approximate, even when the threads take turns: each
 *       thread's frees are stamped in its own order (exactly, unless two threads share a stamp
 *       cell), and threads' clocks are kept within about 64 frees of each other, so a free stamped
 *       by a lagging thread counts as up to that much older than it is.
 * </ul>
 *
 * <p>Each relaxation changes which free slot a racing call gets, never whether a slot is free.
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
   * capacity). An affine hit and a free lock one stripe. As in the exact allocator, each stripe
   * keeps the entry of the key whose list emptied last (Stripe.emptied), so a hot alloc/free pair
   * does not remove and reinsert its key every time.
   *
   * Global order: every free stamps its slot while it holds its stripe (internal.SharedCounters:
   * per-thread counters raised to the stripe's newest stamp and to a clock each thread publishes
   * every 64 frees, so no cache line is written by every free of every thread). Each stripe's LRU
   * list is sorted by stamp and the warm slot with the oldest stamp is the stripe head with the
   * smallest. An eviction reads every head without locking (O(shards), miss path only; each head
   * read twice around its stamp), locks the stripe of the smallest, scans again, and takes that
   * head if the stripe is still the oldest; otherwise it retries with the new pick. From one
   * thread the stamps follow the order of the frees, so eviction is exact LRU; across threads it
   * is LRU up to the clocks' skew.
   *
   * Positions: the per-slot arrays are indexed by a position, not by the slot number: slot s sits
   * in row s & 15 at column s >>> 4 (pos; slotAt inverts it with shifts, rows a power of two
   * long). Cold slots go out in ascending order, so without this two threads' fresh slots are
   * neighbours and every call of one writes cache lines the other is writing (a state, a key, a
   * stamp and four links per slot); with it, slots handed out one after the other are a row
   * apart. Positions start PAD entries into each array (StripedSlots), so that no slot shares a
   * cache line with an array header, whose length every thread's bounds checks read. Inside the
   * allocator every slot index is a position; the public methods translate.
   *
   * The per-slot arrays live in internal.StripedSlots, and the list surgery in internal.WarmLists,
   * the same code as AffinityIndexAllocator's (one stripe there); this class holds the allocation
   * policy and the locking.
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
  private static final int FAILED = -2;

  /** The most slots one allocator may have, as for {@link AffinityIndexAllocator}. */
  public static final int MAX_CAPACITY = AffinityIndexAllocator.MAX_CAPACITY;

  /** The most stripes one allocator may have. */
  public static final int MAX_SHARDS = 1024;

  private final int capacity;
  private final int maxUnusedWarmSlots;
  private final int shards;
  private final long bytesLimit;
  private final Stripe[] stripes;
  private final SharedCounters clock;
  private final StripedSlots slots;

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
    Checks.capacity(capacity);
    Checks.maxUnusedWarmSlots(maxUnusedWarmSlots);
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
    slots = new StripedSlots(capacity, stripes, clock, bytesLimit);
  }

  /** Four stripes per available processor, at most 64. */
  public static int defaultShards() {
    return Math.min(64, 4 * Runtime.getRuntime().availableProcessors());
  }

  @Override
  public int alloc(K key) {
    int hash = key == null ? 0 : KeyTable.hash(key);
    Stripe own;
    if (key != null) {
      own = stripes[slots.stripeOf(hash)];
    } else if (shards == 1) {
      own = stripes[0]; // one stripe: its lock makes every call atomic, as in the exact allocator
    } else {
      return slots.slotAt(allocUnaffine(null, 0));
    }
    synchronized (own) {
      if (key != null) {
        int entry = own.keys.find(key, hash);
        int slot;
        if (entry != NIL && (slot = own.keys.tail(entry)) != NIL) {
          slots.unlinkWarm(own, slot, entry);
          own.hits++;
          slots.markUsed(slot, key, hash);
          return slots.slotAt(slot);
        }
        own.misses++;
      }
      int slot = allocInOwnStripe(own);
      if (slot >= 0) {
        slots.markUsed(slot, key, hash);
        return slots.slotAt(slot);
      }
      if (slot == FAILED) {
        return NO_SLOT;
      }
    }
    return slots.slotAt(allocUnaffine(key, hash));
  }

  @Override
  public int allocAffineAndClearAffinity(K key) {
    Objects.requireNonNull(key, "key");
    int hash = KeyTable.hash(key);
    Stripe st = stripes[slots.stripeOf(hash)];
    synchronized (st) {
      int entry = st.keys.find(key, hash);
      int slot;
      if (entry == NIL || (slot = st.keys.tail(entry)) == NIL) {
        return NO_SLOT;
      }
      slots.unlinkWarm(st, slot, entry);
      slots.markUsed(slot, null, 0);
      return slots.slotAt(slot);
    }
  }

  @Override
  public void free(int slot, long bytesResident) {
    Checks.freeArguments(slot, capacity, bytesResident);
    final int p = slots.pos(slot);
    for (; ; ) {
      int s = slots.state(p);
      if (s == COLD && slot < clock.nextCold()) {
        Thread.onSpinWait(); // taken cold a moment ago, not yet marked used
        continue;
      }
      Object key = slots.key(p);
      Stripe st = slots.stripeFor(key, slots.hash(p), p);
      synchronized (st) {
        s = slots.state(p);
        if (s == USED && slots.key(p) != key) {
          continue; // freed and reused by another key meanwhile: only a misuse gets here
        }
        if (s != USED) {
          if (s == COLD && slot < clock.nextCold()) {
            continue;
          }
          throw Checks.notInUse(slot, s == WARM);
        }
        int entry = slots.entryOf(st, key, slots.hash(p));
        if (entry == StripedSlots.BROKEN) {
          slots.dropKey(p); // its equals threw: free it without affinity
          continue;
        }
        long bytes = st.bytes;
        if (clock.bigStripes() == 0 && bytesResident <= bytesLimit - bytes) {
          slots.makeWarm(st, p, key, slots.hash(p), entry, bytesResident);
          return;
        }
      }
      freeLockingAll(0, slot, p, bytesResident);
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
    boolean coldFirst = slots.warmCount() < maxUnusedWarmSlots;
    if (coldFirst) {
      int slot = slots.takeCold();
      if (slot != NIL) {
        return slot;
      }
    }
    Stripe oldest = slots.oldestStripe();
    if (oldest == own) {
      return slots.evictHead(own);
    }
    int slot = oldest == null && !coldFirst ? slots.takeCold() : NIL;
    if (slot == NIL && oldest == null && shards == 1) {
      failedAllocations++; // own is every stripe: the failure is exact here
      return FAILED;
    }
    return slot;
  }

  /** The allocation path that needs no stripe held: no key, or a key that has missed. */
  private int allocUnaffine(K key, int hash) {
    boolean coldFirst = slots.warmCount() < maxUnusedWarmSlots;
    if (coldFirst) {
      int slot = slots.takeCold();
      if (slot != NIL) {
        slots.markUsed(slot, key, hash);
        return slot;
      }
    }
    for (Stripe st = slots.oldestStripe(); st != null; st = slots.oldestStripe()) {
      synchronized (st) {
        // Other heads only get younger while st is held, so a rescan that still picks st proves
        // its head is the least recently freed slot now.
        if (slots.oldestStripe() == st) {
          int slot = slots.evictHead(st);
          slots.markUsed(slot, key, hash);
          return slot;
        }
      }
    }
    if (!coldFirst) {
      int slot = slots.takeCold();
      if (slot != NIL) {
        slots.markUsed(slot, key, hash);
        return slot;
      }
    }
    return allocLockingAll(0, key, hash);
  }

  /** With every stripe locked: what the exact rules give after a miss, or a counted failure. */
  private int allocLockingAll(int i, K key, int hash) {
    if (i < shards) {
      synchronized (stripes[i]) {
        return allocLockingAll(i + 1, key, hash);
      }
    }
    int slot;
    if (slots.warmCount() < maxUnusedWarmSlots) {
      slot = slots.takeCold();
      if (slot == NIL) {
        slot = evictOldestLocked();
      }
    } else {
      slot = evictOldestLocked();
      if (slot == NIL) {
        slot = slots.takeCold();
      }
    }
    if (slot == NIL) {
      failedAllocations++;
      return NO_SLOT;
    }
    slots.markUsed(slot, key, hash);
    return slot;
  }

  private int evictOldestLocked() {
    Stripe st = slots.oldestStripe();
    return st == null ? NIL : slots.evictHead(st);
  }

  // ---- free ----

  private void freeLockingAll(int i, int slot, int p, long bytesResident) {
    if (i < shards) {
      synchronized (stripes[i]) {
        freeLockingAll(i + 1, slot, p, bytesResident);
        return;
      }
    }
    int s;
    while ((s = slots.state(p)) == COLD && slot < clock.nextCold()) {
      Thread.onSpinWait(); // the cold taker needs no stripe
    }
    if (s != USED) {
      throw Checks.notInUse(slot, s == WARM);
    }
    long total = 0;
    for (Stripe st : stripes) {
      total += st.bytes;
    }
    Checks.addResident(total, bytesResident);
    Object key = slots.key(p);
    int hash = slots.hash(p);
    Stripe st = slots.stripeFor(key, hash, p);
    int entry = slots.entryOf(st, key, hash);
    if (entry == StripedSlots.BROKEN) {
      slots.dropKey(p); // its equals threw: free it without affinity
      key = null;
      hash = 0;
      st = slots.stripeFor(null, 0, p);
      entry = KeyTable.NIL;
    }
    boolean wasBig = st.bytes > bytesLimit;
    slots.makeWarm(st, p, key, hash, entry, bytesResident);
    if (!wasBig && st.bytes > bytesLimit) {
      clock.addBigStripes(1);
    }
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

  // ---- test support: package-private, O(capacity), call only when no other call runs ----

  /** The warm slots, least recently freed first. */
  List<Integer> warmSlots() {
    return slots.warmSlots();
  }

  /** The keys that have at least one warm slot. */
  Set<Object> affineKeys() {
    return slots.affineKeys();
  }

  /** Walks every list and checks every invariant in the implementation notes. */
  void checkInvariants() {
    slots.checkInvariants();
  }
}
