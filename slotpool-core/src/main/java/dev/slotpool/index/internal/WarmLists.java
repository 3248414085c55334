package dev.slotpool.index.internal;

import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The warm lists of an affinity allocator, written once for the exact allocator and for each stripe
 * of the sharded one: every warm slot on one list in the order it was freed, and each keyed warm
 * slot also on its key's list, in the same order. The links are per-slot arrays of this class; the
 * ends of a set of lists (the warm list's head and tail, the key table holding each key's head and
 * tail, and the one emptied entry) are a {@link Stripe}'s fields. Each operation is O(1) and
 * allocates nothing, except a key insertion that grows a stripe's table.
 *
 * <p>Not thread-safe: the caller holds whatever guards the stripe (the exact allocator's lock, a
 * sharded stripe's monitor) for every method that takes it. Slots are indexes into the link arrays:
 * slot numbers for the exact allocator, positions for the sharded one.
 */
/*
 * Implementation notes
 *
 * Intrusive doubly linked lists through int arrays, NIL-terminated: warmPrev/warmNext for the
 * warm list, keyPrev/keyNext for the key lists, whose heads and tails live in the key table entry
 * of their key. Unlinking a slot from both lists is O(1) given its key's entry, which the caller
 * finds before anything changes (user code, a key's equals, never runs here).
 *
 * Emptied entry: a key whose last warm slot is taken keeps its table entry with an empty list, as
 * `emptied`, because the slot's holder usually frees it again for the same key soon; at most one
 * entry per stripe is empty, and the previous one is removed when another list empties or a new
 * key is inserted. So a table holds at most its warm slots plus one keys.
 *
 * Invariants (checked by checkWarmList and checkKeyLists):
 *   warmHead == NIL iff warmTail == NIL; every warmPrev link mirrors a warmNext link;
 *   every table entry's list is non-empty except the one at emptied, if it is not NIL, and its
 *   tail is its last slot; every slot on a key's list is warm and affine to that key object.
 */
public final class WarmLists {
  private static final int NIL = KeyTable.NIL;

  private final int[] warmPrev;
  private final int[] warmNext;
  private final int[] keyPrev;
  private final int[] keyNext;

  /** Links for slots {@code 0..length-1}. */
  public WarmLists(int length) {
    warmPrev = new int[length];
    warmNext = new int[length];
    keyPrev = new int[length];
    keyNext = new int[length];
  }

  /** The slot freed after {@code slot} on its warm list, or NIL. */
  public int warmNext(int slot) {
    return warmNext[slot];
  }

  /** Puts a slot at the tail of {@code st}'s warm list: its most recently freed warm slot. */
  public void appendWarm(Stripe st, int slot) {
    int tail = st.warmTail;
    warmPrev[slot] = tail;
    warmNext[slot] = NIL;
    if (tail == NIL) {
      st.setWarmHead(slot);
    } else {
      warmNext[tail] = slot;
    }
    st.warmTail = slot;
  }

  /**
   * Puts a warm slot at the tail of its key's list in {@code st}; {@code entry} is the key's table
   * entry, found before any change, or NIL to insert {@code key} (absent) with {@code hash}.
   */
  public void appendAffine(Stripe st, int slot, Object key, int hash, int entry) {
    KeyTable keys = st.keys;
    keyNext[slot] = NIL;
    if (entry == NIL) {
      keyPrev[slot] = NIL;
      if (st.emptied != NIL) {
        keys.remove(st.emptied);
        st.emptied = NIL;
      }
      st.insertKey(key, hash, slot);
    } else {
      int tail = keys.tail(entry);
      keyPrev[slot] = tail;
      if (tail == NIL) {
        // Only the emptied entry has an empty list: it is in use again.
        keys.setHead(entry, slot);
        st.emptied = NIL;
      } else {
        keyNext[tail] = slot;
      }
      keys.setTail(entry, slot);
    }
  }

  /**
   * Takes a warm slot off {@code st}'s warm list and, if {@code entry} (its key's) is not NIL, off
   * its key's list, keeping an emptied key's entry as described in the notes.
   */
  public void unlink(Stripe st, int slot, int entry) {
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
      if (prev == NIL && next == NIL) {
        // The key's list is now empty: keep its entry, drop the previous emptied one.
        if (st.emptied != NIL) {
          entry = keys.remove(st.emptied, entry);
        }
        st.emptied = entry;
      }
    }
  }

  // ---- test support: O(slots), allocates ----

  /**
   * Walks {@code st}'s warm list, checking its links and its tail, and calls {@code eachSlot} for
   * each slot, least recently freed first.
   *
   * @return the number of slots on the list
   * @throws AssertionError naming the first broken invariant
   */
  public int checkWarmList(Stripe st, String name, int maxSlots, IntConsumer eachSlot) {
    int count = 0;
    int prev = NIL;
    for (int s = st.warmHead; s != NIL; s = warmNext[s]) {
      check(
          warmPrev[s] == prev, "%s: slot %d: warmPrev %d, expected %d", name, s, warmPrev[s], prev);
      check(++count <= maxSlots, "%s: warm list has a cycle", name);
      eachSlot.accept(s);
      prev = s;
    }
    check(st.warmTail == prev, "%s: warmTail %d, expected %d", name, st.warmTail, prev);
    return count;
  }

  /**
   * Walks every key list of {@code st}, checking the table entry, the emptied entry, each slot's
   * state ({@code isWarm}) and key ({@code keyOf}, by identity), the links and the tail.
   *
   * @return the number of slots on the key lists
   * @throws AssertionError naming the first broken invariant
   */
  public int checkKeyLists(
      Stripe st, String name, int maxSlots, IntPredicate isWarm, IntFunction<Object> keyOf) {
    KeyTable keys = st.keys;
    int count = 0;
    for (int e = 0; e < keys.length(); e++) {
      Object key = keys.keyAt(e);
      if (key == null) {
        continue;
      }
      check(keys.findIdentical(key, keys.hashAt(e)) == e, "key %s not found at its entry", key);
      check(keys.head(e) != NIL || e == st.emptied, "key %s has an empty list", key);
      check(e != st.emptied || keys.head(e) == NIL, "%s: emptied entry %d holds a list", name, e);
      int prev = NIL;
      for (int s = keys.head(e); s != NIL; s = keyNext[s]) {
        check(isWarm.test(s), "slot %d on %s's list is not warm", s, key);
        check(
            key == keyOf.apply(s), "slot %d on %s's list is affine to %s", s, key, keyOf.apply(s));
        check(keyPrev[s] == prev, "slot %d: keyPrev %d, expected %d", s, keyPrev[s], prev);
        check(++count <= maxSlots, "key list of %s has a cycle", key);
        prev = s;
      }
      check(keys.tail(e) == prev, "key %s: tail %d, expected %d", key, keys.tail(e), prev);
    }
    return count;
  }

  private static void check(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new AssertionError(String.format(format, args));
    }
  }
}
