package dev.slotpool.index.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One stripe of a sharded allocator, or the whole of the exact one: the heads, counts and key table
 * of the warm slots it holds. {@link WarmLists} links the slots; a stripe only knows its list ends.
 *
 * <p>Not thread-safe by itself: every field is guarded by the stripe's monitor ({@code synchronized
 * (stripe)}). {@link #warmHeadAcquire()} and {@link #warmOpaque()} may be read without it, as hints
 * that the owner validates under the monitor.
 */
public final class Stripe extends StripeFields {
  /*
   * Implementation notes.
   *
   * The padding superclass and the trailing longs keep the fields a stripe writes on every call
   * off the cache lines of other stripes (and of whatever the allocator allocated next to them),
   * as JCTools does: HotSpot lays a superclass's fields out before its subclass's.
   */

  @SuppressWarnings("unused")
  private long p10, p11, p12, p13, p14, p15, p16, p17;

  /**
   * Creates an empty stripe whose key table grows up to {@code maxKeys} keys.
   *
   * @param maxKeys the most keys the stripe can ever hold: the allocator's capacity
   */
  public Stripe(int maxKeys) {
    super(maxKeys, Math.min(maxKeys, INITIAL_KEYS));
  }

  /**
   * Creates an empty stripe whose key table is sized once for {@code maxKeys} keys, so that no
   * operation ever allocates (the exact allocator's choice).
   */
  public static Stripe sizedOnce(int maxKeys) {
    return new Stripe(maxKeys, maxKeys);
  }

  private Stripe(int maxKeys, int initialKeys) {
    super(maxKeys, initialKeys);
  }
}

/** The padding before a stripe's fields. */
abstract class StripePad {
  @SuppressWarnings("unused")
  private long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** A stripe's fields, between two paddings. */
abstract class StripeFields extends StripePad {
  static final int INITIAL_KEYS = 16;
  private static final VarHandle WARM_HEAD;
  private static final VarHandle WARM;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      WARM_HEAD = lookup.findVarHandle(StripeFields.class, "warmHead", int.class);
      WARM = lookup.findVarHandle(StripeFields.class, "warm", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final int maxKeys;
  private int keyLimit;

  /** The stripe's keys with warm slots, each with its list's head and tail slot. */
  public KeyTable keys;

  /**
   * The one entry of {@link #keys} whose list is empty, kept for its key's next free, or NIL (as in
   * AffinityIndexAllocator).
   */
  public int emptied = KeyTable.NIL;

  /** The least recently freed warm slot of the stripe, or {@link KeyTable#NIL}. */
  public int warmHead = KeyTable.NIL;

  /** The most recently freed warm slot of the stripe, or {@link KeyTable#NIL}. */
  public int warmTail = KeyTable.NIL;

  /** The number of warm slots in the stripe. */
  public int warm;

  /** The resident bytes of the stripe's warm slots. */
  public long bytes;

  /** Allocations for a key of this stripe that found a warm slot for it. */
  public long hits;

  /** Allocations for a key of this stripe that found none. */
  public long misses;

  /** Warm slots of this stripe taken by an allocation for another key or none. */
  public long evictions;

  StripeFields(int maxKeys, int initialKeys) {
    this.maxKeys = maxKeys;
    keyLimit = initialKeys;
    keys = new KeyTable(keyLimit);
  }

  /** Sets the head, with release: a slot's stamp, written first, is visible with it. */
  public void setWarmHead(int slot) {
    WARM_HEAD.setRelease(this, slot);
  }

  /** The head, read with acquire, without the monitor: a hint to validate under it. */
  public int warmHeadAcquire() {
    return (int) WARM_HEAD.getAcquire(this);
  }

  public void setWarm(int count) {
    WARM.setOpaque(this, count);
  }

  public int warmOpaque() {
    return (int) WARM.getOpaque(this);
  }

  /**
   * Adds {@code key}, absent, with the one-slot list {@code slot}; grows the table by doubling when
   * it is full, so a stripe's table costs memory in proportion to its keys at their peak.
   */
  public void insertKey(Object key, int hash, int slot) {
    if (keys.size() == keyLimit) {
      int limit = (int) Math.min(maxKeys, 2L * keyLimit);
      KeyTable grown = new KeyTable(limit);
      for (int i = 0; i < keys.length(); i++) {
        Object k = keys.keyAt(i);
        if (k != null) {
          int e = grown.insert(k, keys.hashAt(i), keys.head(i));
          grown.setTail(e, keys.tail(i));
        }
      }
      keys = grown;
      keyLimit = limit;
    }
    keys.insert(key, hash, slot);
  }
}
