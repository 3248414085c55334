package dev.slotpool.index.internal;

import java.util.Objects;

/**
 * An open-addressing map from a key to the head and tail slot of that key's list of warm slots.
 *
 * <p>Not thread-safe: the owning allocator guards it.
 */
public final class KeyTable {
  /*
   * Implementation notes.
   *
   * Linear probing over parallel arrays: keys[i], hashes[i] (the spread hash, so probing and
   * shifting never call hashCode again), heads[i] and tails[i] (slot indexes). A null key marks an
   * empty entry. The table is sized once, to a power of two at least twice the most keys it can
   * ever hold (one per warm slot, so the allocator's capacity), so it never resizes and never
   * allocates after construction, and its load factor stays at or below one half, which keeps
   * the expected probe length O(1).
   *
   * Removal uses backward-shift deletion instead of tombstones: the entries after the removed
   * one in its probe run move back into the hole when their home position allows it. Tombstones
   * would pile up under the allocator's churn (a key's entry comes and goes with its list) and
   * lengthen every probe.
   *
   * Invariant: for every entry at i, each position from its home (hashes[i] & mask) up to i,
   * cyclically, holds an entry.
   */

  /** An empty list end, and what {@link #find} returns for an absent key. */
  public static final int NIL = -1;

  private final Object[] keys;
  private final int[] hashes;
  private final int[] heads;
  private final int[] tails;
  private final int mask;
  private int size;

  /**
   * Creates a table for at most {@code maxKeys} keys at once.
   *
   * @param maxKeys at most {@code 1 << 29}
   */
  public KeyTable(int maxKeys) {
    if (maxKeys < 0 || maxKeys > 1 << 29) {
      throw new IllegalArgumentException("maxKeys: " + maxKeys + " (expected: 0..2^29)");
    }
    int length = Integer.highestOneBit(Math.max(2, maxKeys) * 2 - 1) << 1;
    keys = new Object[length];
    hashes = new int[length];
    heads = new int[length];
    tails = new int[length];
    mask = length - 1;
  }

  /** Spreads a key's hash code so that keys differing only in high bits still spread. */
  public static int hash(Object key) {
    int h = key.hashCode() * 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  /**
   * Returns the entry holding a key equal to {@code key}, or {@link #NIL}. Only {@code key}'s own
   * {@code equals} is called (never a stored key's), and the table is not changed, so a key whose
   * {@code equals} throws leaves it as it was.
   */
  public int find(Object key, int hash) {
    final Object[] keys = this.keys;
    final int mask = this.mask;
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      Object k = keys[i];
      if (k == null) {
        return NIL;
      }
      if (hashes[i] == hash && (k == key || key.equals(k))) {
        return i;
      }
    }
  }

  /**
   * Returns the entry holding exactly {@code key} (the same reference, as stored), or {@link #NIL};
   * calls no method of any key.
   */
  public int findIdentical(Object key, int hash) {
    final Object[] keys = this.keys;
    final int mask = this.mask;
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      Object k = keys[i];
      if (k == null) {
        return NIL;
      }
      if (k == key) {
        return i;
      }
    }
  }

  /** The spread hash stored with the entry at {@code index}. */
  public int hashAt(int index) {
    return hashes[index];
  }

  /**
   * Adds {@code key}, which must be absent, with the one-element list {@code slot}, and returns its
   * entry.
   */
  public int insert(Object key, int hash, int slot) {
    Objects.requireNonNull(key, "key");
    if (size > mask >> 1) {
      throw new IllegalStateException("key table full: " + size + " keys");
    }
    int i = hash & mask;
    while (keys[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    hashes[i] = hash;
    heads[i] = slot;
    tails[i] = slot;
    size++;
    return i;
  }

  /** Removes the entry at {@code index}; other entries may move. */
  public void remove(int index) {
    remove(index, NIL);
  }

  /**
   * Removes the entry at {@code index} and returns where the entry that was at {@code watched} is
   * now (other entries may move); {@code watched} may be {@link #NIL}.
   */
  public int remove(int index, int watched) {
    final Object[] keys = this.keys;
    final int mask = this.mask;
    int hole = index;
    for (int j = (hole + 1) & mask; keys[j] != null; j = (j + 1) & mask) {
      int home = hashes[j] & mask;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      boolean homeBetween = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!homeBetween) {
        keys[hole] = keys[j];
        hashes[hole] = hashes[j];
        heads[hole] = heads[j];
        tails[hole] = tails[j];
        if (j == watched) {
          watched = hole;
        }
        hole = j;
      }
    }
    keys[hole] = null;
    size--;
    return watched;
  }

  /** The number of keys in the table. */
  public int size() {
    return size;
  }

  /** The number of entries, empty or not; entries are numbered {@code 0..length()-1}. */
  public int length() {
    return keys.length;
  }

  /** The key at entry {@code index}, or {@code null} if it is empty. */
  public Object keyAt(int index) {
    return keys[index];
  }

  public int head(int index) {
    return heads[index];
  }

  public int tail(int index) {
    return tails[index];
  }

  public void setHead(int index, int slot) {
    heads[index] = slot;
  }

  public void setTail(int index, int slot) {
    tails[index] = slot;
  }
}
