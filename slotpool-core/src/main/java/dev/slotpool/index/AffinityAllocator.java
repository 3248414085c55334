package dev.slotpool.index;

/**
 * Hands out slot indexes in {@code [0, capacity())}, preferring a free slot last used for the same
 * key so that whatever the slot still holds for that key can be reused.
 *
 * <p>A slot is in one of three states: <em>used</em> (it remembers the key it was allocated for,
 * possibly none), <em>cold</em> (never used) or <em>warm</em> (used before and free now; it
 * remembers its affinity key and how many bytes it keeps resident). {@link #alloc} prefers, in
 * order: the key's most recently freed warm slot; then, while fewer than {@code maxUnusedWarmSlots}
 * slots are warm, a cold slot (else the least recently freed warm slot); once that many are warm,
 * the least recently freed warm slot (else a cold slot). Each implementation documents how exactly
 * it keeps these orders.
 *
 * <p>Keys are compared with {@link Object#equals} and {@link Object#hashCode}; a {@code null} key
 * asks for no affinity. A key whose {@code equals} or {@code hashCode} throws never costs a slot or
 * corrupts the allocator: those methods run before any state changes, so a throwing {@code alloc}
 * changes nothing, and a {@code free} whose key's {@code equals} throws frees the slot without
 * affinity. Implementations are thread-safe.
 *
 * @param <K> the affinity key, typically a module's memory
 */
public interface AffinityAllocator<K> {

  /** What {@link #alloc} and {@link #allocAffineAndClearAffinity} return when no slot is left. */
  int NO_SLOT = -1;

  /**
   * Allocates a slot for {@code key}, or returns {@link #NO_SLOT} when every slot is in use.
   *
   * @param key the affinity key, or {@code null} for none
   */
  int alloc(K key);

  /**
   * Allocates a warm slot affine to {@code key} and forgets that affinity, or returns {@link
   * #NO_SLOT} if {@code key} has no warm slot. It never takes a cold or an unrelated warm slot.
   * Calling it until it returns {@code NO_SLOT} strips {@code key} from every warm slot, as a
   * runtime does when it unloads a module; the slots taken are then freed as usual.
   *
   * @throws NullPointerException if {@code key} is null
   */
  int allocAffineAndClearAffinity(K key);

  /**
   * Returns a used slot to the allocator. It becomes warm, affine to the key it was allocated for,
   * and the most recently freed slot.
   *
   * @param slot a slot returned by an allocation and not freed since
   * @param bytesResident how many bytes the slot keeps resident while it is warm, for {@link
   *     #unusedBytesResident()}
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, capacity())}
   * @throws IllegalArgumentException if {@code bytesResident} is negative
   * @throws IllegalStateException if {@code slot} is not in use (never allocated, or freed twice)
   */
  void free(int slot, long bytesResident);

  /** The number of slots, fixed at construction. */
  int capacity();

  /** Whether no slot is in use. */
  boolean isEmpty();

  /** The number of warm slots: used before and not in use now. */
  int unusedWarmSlots();

  /** The sum of the {@code bytesResident} reported for the slots that are warm now. */
  long unusedBytesResident();

  /** A consistent snapshot of this allocator's counters. */
  AllocatorStats stats();
}
