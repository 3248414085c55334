package dev.slotpool.index.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The per-slot state of a sharded allocator: which slots are cold, used or warm, each slot's key,
 * resident bytes and free stamp, and each stripe's warm lists (linked by {@link WarmLists}, the
 * same code as the exact allocator's).
 *
 * <p>Not thread-safe by itself: its caller, {@code ShardedAffinityIndexAllocator}, holds a slot's
 * stripe monitor for every method that takes a {@link Stripe}, owns a used slot's fields, and reads
 * the rest ({@link #state}, {@link #oldestStripe}, {@link #warmCount}) as documented there. Slot
 * indexes here are positions ({@link #pos}), not slot numbers.
 */
public final class StripedSlots {
  /*
   * Implementation notes: see ShardedAffinityIndexAllocator. Slot s sits at position
   * PAD + (((s & 15) << rowShift) | (s >>> 4)); rows are a power of two long, so the arrays hold
   * up to twice the capacity, at least 256 entries, plus PAD unused entries at each end.
   *
   * The padding keeps every slot's entries off the cache lines (and their prefetch pairs) that
   * hold an array's header, whose length every bounds check reads, and the neighbouring object's
   * fields. Without it the first slot of row 0 (slots 0, 16, 32, ...) sits next to the header,
   * so the thread using it makes every other thread miss on each array access: measured with two
   * threads on their own keys, slots 0 and 1 gave 8 million pairs/s in all against 52 million
   * for slots 300 and 301.
   */

  /** A slot's state: never used. */
  public static final int COLD = 0;

  /** A slot's state: handed out and not freed since. */
  public static final int USED = 1;

  /** A slot's state: used before and free now. */
  public static final int WARM = 2;

  private static final int NIL = KeyTable.NIL;
  private static final int NO_SLOT = -1;
  private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(int[].class);

  /** Unused entries at each end of every per-slot array: 128 bytes of ints, 256 of longs. */
  private static final int PAD = 32;

  private static final VarHandle STAMP = MethodHandles.arrayElementVarHandle(long[].class);

  private final int capacity;
  private final int shards;
  private final long bytesLimit;
  private final Stripe[] stripes;
  private final SharedCounters clock;

  private final int rowShift;
  private final int[] state;
  private final Object[] slotKey;
  private final int[] keyHash;
  private final long[] resident;
  private final long[] freedAt;
  private final WarmLists lists;

  /**
   * Creates the state of {@code capacity} cold slots.
   *
   * @param stripes the allocator's stripes, in the order it locks them
   * @param clock the allocator's shared counters
   * @param bytesLimit the resident bytes a stripe may hold before a free must check the total
   */
  public StripedSlots(int capacity, Stripe[] stripes, SharedCounters clock, long bytesLimit) {
    this.capacity = capacity;
    this.shards = stripes.length;
    this.stripes = stripes;
    this.clock = clock;
    this.bytesLimit = bytesLimit;
    int rows = (capacity + 15) >>> 4;
    rowShift = Math.max(4, 32 - Integer.numberOfLeadingZeros(Math.max(1, rows) - 1));
    int length = (16 << rowShift) + 2 * PAD;
    state = new int[length];
    slotKey = new Object[length];
    keyHash = new int[length];
    resident = new long[length];
    freedAt = new long[length];
    lists = new WarmLists(length);
  }

  /** The state of the slot at position {@code p}, read with acquire. */
  public int state(int p) {
    return (int) STATE.getAcquire(state, p);
  }

  /** The key a used slot was allocated for, or a warm slot's affinity; null for none. */
  public Object key(int p) {
    return slotKey[p];
  }

  /** The spread hash of {@link #key}, taken when the slot was allocated. */
  public int hash(int p) {
    return keyHash[p];
  }

  /** The position of {@code slot} in the per-slot arrays. */
  public int pos(int slot) {
    return PAD + (((slot & 15) << rowShift) | (slot >>> 4));
  }

  /** The slot at position {@code p}; NIL and FAILED map to NO_SLOT. */
  public int slotAt(int p) {
    if (p < 0) {
      return NO_SLOT;
    }
    int q = p - PAD;
    return ((q & ((1 << rowShift) - 1)) << 4) | (q >>> rowShift);
  }

  public int takeCold() {
    int slot = clock.takeCold(capacity);
    return slot == NIL ? NIL : pos(slot);
  }

  // ---- stripes ----

  /** The stripe of a warm slot: its key's, by the key's spread hash, or one chosen by position. */
  public Stripe stripeFor(Object key, int hash, int p) {
    return stripes[key == null ? stripeOf(p * 0x9E3779B9) : stripeOf(hash)];
  }

  /** Maps a hash to {@code [0, shards)} by its high bits (Lemire's multiply-shift range map). */
  public int stripeOf(int hash) {
    return (int) (((hash & 0xFFFF_FFFFL) * shards) >>> 32);
  }

  /** The stripe whose head is the least recently freed warm slot, or null if none is warm. */
  public Stripe oldestStripe() {
    final Stripe[] stripes = this.stripes;
    Stripe oldest = null;
    long oldestStamp = Long.MAX_VALUE;
    for (Stripe st : stripes) {
      int head = st.warmHeadAcquire();
      long stamp = 0;
      while (head != NIL) {
        stamp = (long) STAMP.getAcquire(freedAt, head);
        int again = st.warmHeadAcquire();
        if (again == head) {
          break;
        }
        // The head moved while its stamp was read; had that slot been freed again since, the
        // stamp would be too young and could hide an older head.
        head = again;
      }
      if (head != NIL && stamp < oldestStamp) {
        oldest = st;
        oldestStamp = stamp;
      }
    }
    return oldest;
  }

  /** The warm slots summed over the stripes; exact when no call runs concurrently. */
  public int warmCount() {
    int sum = 0;
    for (Stripe st : stripes) {
      sum += st.warmOpaque();
    }
    return sum;
  }

  /** Takes the head of {@code st}, which the caller holds and which must not be empty. */
  public int evictHead(Stripe st) {
    int slot = st.warmHead;
    Object key = slotKey[slot];
    unlinkWarm(st, slot, key == null ? NIL : st.keys.findIdentical(key, keyHash[slot]));
    st.evictions++;
    return slot;
  }

  public void markUsed(int slot, Object key, int hash) {
    slotKey[slot] = key;
    keyHash[slot] = hash;
    STATE.setRelease(state, slot, USED);
  }

  /** What {@link #entryOf} returns when the key's {@code equals} threw. */
  public static final int BROKEN = -2;

  /**
   * With {@code st} held: the table entry of a used slot's key in {@code st}, {@link #NIL} if it
   * has none (or no key), or {@link #BROKEN} if the key's {@code equals} threw; nothing changes
   * either way. Called before {@link #makeWarm}, so that no user code runs once the lists change.
   */
  public int entryOf(Stripe st, Object key, int hash) {
    if (key == null) {
      return NIL;
    }
    try {
      return st.keys.find(key, hash);
    } catch (RuntimeException e) {
      return BROKEN;
    }
  }

  /** Makes a used slot's next free unkeyed (its key's {@code equals} is broken, or was purged). */
  public void dropKey(int slot) {
    slotKey[slot] = null;
    keyHash[slot] = 0;
  }

  /**
   * With {@code st} held: the used slot becomes its most recently freed warm slot. {@code entry} is
   * what {@link #entryOf} found. A warm slot then refers to its table entry's own key object, so
   * that eviction finds the entry by identity and calls no method of any key.
   */
  public void makeWarm(Stripe st, int slot, Object key, int hash, int entry, long bytesResident) {
    if (entry != NIL) {
      key = st.keys.keyAt(entry);
      slotKey[slot] = key;
    }
    st.bytes += bytesResident;
    resident[slot] = bytesResident;
    int tail = st.warmTail;
    STAMP.setOpaque(freedAt, slot, clock.nextStamp(tail == NIL ? 0 : freedAt[tail]));
    STATE.setRelease(state, slot, WARM);
    lists.appendWarm(st, slot);
    st.setWarm(st.warm + 1);
    if (key != null) {
      lists.appendAffine(st, slot, key, hash, entry);
    }
  }

  /** With {@code st} held: takes a warm slot off its lists; {@code entry} is its key's or NIL. */
  public void unlinkWarm(Stripe st, int slot, int entry) {
    lists.unlink(st, slot, entry);
    st.setWarm(st.warm - 1);
    long before = st.bytes;
    st.bytes = before - resident[slot];
    if (before > bytesLimit && st.bytes <= bytesLimit) {
      clock.addBigStripes(-1);
    }
    resident[slot] = 0;
  }

  // ---- test support: O(capacity), call only when no other call runs ----

  /** The warm slots, least recently freed first. */
  public List<Integer> warmSlots() {
    List<Integer> out = new ArrayList<>();
    for (Stripe st : stripes) {
      for (int p = st.warmHead; p != NIL; p = lists.warmNext(p)) {
        out.add(p);
      }
    }
    out.sort(Comparator.comparingLong(p -> freedAt[p]));
    out.replaceAll(this::slotAt);
    return out;
  }

  /** The keys that have at least one warm slot. */
  public Set<Object> affineKeys() {
    Set<Object> out = new HashSet<>();
    for (Stripe st : stripes) {
      for (int i = 0; i < st.keys.length(); i++) {
        if (st.keys.keyAt(i) != null && st.keys.head(i) != NIL) {
          out.add(st.keys.keyAt(i));
        }
      }
    }
    return out;
  }

  /** Walks every list and checks every invariant in the implementation notes. */
  public void checkInvariants() {
    int warmTotal = 0;
    int keyedTotal = 0;
    int onKeyLists = 0;
    for (int i = 0; i < shards; i++) {
      Stripe st = stripes[i];
      String name = "stripe " + i;
      long[] bytes = {0};
      int[] keyed = {0};
      int[] prev = {NIL};
      int warm =
          lists.checkWarmList(
              st,
              name,
              capacity,
              s -> {
                check(state[s] == WARM, "slot %d on %s's list is not warm", s, name);
                check(
                    prev[0] == NIL || freedAt[prev[0]] < freedAt[s], "%s not in stamp order", name);
                check(
                    slotKey[s] == null || st.keys.findIdentical(slotKey[s], keyHash[s]) != NIL,
                    "slot %d: its key is not in its stripe's table under its hash",
                    s);
                check(
                    stripeFor(slotKey[s], keyHash[s], s) == st,
                    "slot %d is warm in %s, not its own",
                    s,
                    name);
                bytes[0] += resident[s];
                keyed[0] += slotKey[s] != null ? 1 : 0;
                prev[0] = s;
              });
      check(st.warm == warm, "stripe %d: warm %d, list holds %d", i, st.warm, warm);
      check(st.bytes == bytes[0], "stripe %d: bytes %d, slots hold %d", i, st.bytes, bytes[0]);
      warmTotal += warm;
      keyedTotal += keyed[0];
      onKeyLists += lists.checkKeyLists(st, name, capacity, s -> state[s] == WARM, s -> slotKey[s]);
    }
    check(
        onKeyLists == keyedTotal,
        "%d slots on key lists, %d warm with a key",
        onKeyLists,
        keyedTotal);
    int nextCold = clock.nextCold();
    int used = 0;
    for (int s = 0; s < capacity; s++) {
      int p = pos(s);
      check(slotAt(p) == s, "slot %d at position %d maps back to %d", s, p, slotAt(p));
      used += state[p] == USED ? 1 : 0;
      check(s < nextCold || state[p] == COLD, "slot %d >= nextCold %d is not cold", s, nextCold);
      check(s >= nextCold || state[p] != COLD, "slot %d < nextCold %d is cold", s, nextCold);
    }
    check(used == nextCold - warmTotal, "%d slots used, expected %d", used, nextCold - warmTotal);
  }

  private static void check(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new AssertionError(String.format(format, args));
    }
  }
}
