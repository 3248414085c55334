package dev.slotpool.memory;

import dev.slotpool.memory.internal.Mapping;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One lease of a {@link MemoryPool} slot: a linear memory that starts with its image's contents
 * (zero elsewhere) and can grow in place up to the pool's {@code maxMemoryBytes}.
 *
 * <p>{@link #segment()} views the accessible bytes, {@code [0, byteSize())}. {@link #grow(long)}
 * makes more of the slot accessible without moving or copying anything and returns a new, larger
 * segment at the same address. Segments obtained before a grow stay valid but keep their old size:
 * a WebAssembly runtime should re-read {@link #segment()} (or use the segment {@code grow} returns)
 * after every {@code memory.grow}, as a cached base and bound would be stale.
 *
 * <p>{@link #close()} resets the slot and returns it to the pool. Every segment of this lease
 * belongs to one arena that {@code close} closes first, so any later access through any of them
 * throws {@link IllegalStateException}: a closed lease can never read or write the slot's next
 * user's memory, and cannot crash the JVM. Closing twice is harmless.
 *
 * <p>Threading depends on the pool's {@link MemoryPool.Builder#threadConfined(boolean)
 * threadConfined} setting:
 *
 * <ul>
 *   <li>Confined (the default): the segments, {@code grow} and {@code close} belong to the
 *       allocating thread. On any other thread a segment access throws {@link WrongThreadException}
 *       (before and after the lease is closed, so a stale segment elsewhere never reaches the next
 *       user), and so does {@code close}, leaving the lease open: close it on its own thread.
 *       Closing costs no JVM-wide handshake.
 *   <li>Shared ({@code threadConfined(false)}): segments may be accessed from any thread; {@code
 *       grow} and {@code close} may be called from any thread and are atomic with respect to each
 *       other. {@code close} throws {@link IllegalStateException} and leaves the lease open if a
 *       native call still uses one of its segments. Each close makes every JVM thread pass a
 *       handshake. A thread that is inside an access of one of the segments at that moment (most
 *       likely a bulk one: {@code fill}, {@code copy}) has it ended with {@link
 *       IllegalStateException}, and HotSpot sets that thread's interrupt flag too: a runtime that
 *       catches the exception should clear the flag ({@link Thread#interrupted()}) unless it was
 *       set before the access, as slotpool-chicory does.
 * </ul>
 *
 * <p>Either way, writes made through the segments before {@code close} happen-before the slot's
 * reset.
 */
// Restricted FFM methods (downcalls, reinterpret) are the point of this layer: callers grant
// native access to the module (or ALL-UNNAMED on the class path).
@SuppressWarnings("restricted")
public final class PooledMemory implements AutoCloseable {
  /*
   * Implementation notes.
   *
   * The arena is the lease's only guard: the segments are the slot's address reinterpreted with
   * this arena's scope, so closing the arena (for a shared arena, a handshake with every JVM thread) makes every
   * segment of the lease, held by whatever thread, inaccessible before the pool touches the slot
   * again. grow() reinterprets the same address with a larger size in the same arena.
   *
   * Each segment's cleanup action is the lease's Anchor, which refers to the pool, so an unclosed
   * segment keeps the pool reachable and its cleaner can never unmap memory that a segment still
   * reaches. The Anchor is also what the leak cleaner watches: it is reachable from this lease and
   * from every segment (through the arena's cleanup list), and from nothing the pool holds, so it
   * becomes unreachable exactly when nobody can reach the slot's memory any more; the cleaner then
   * runs the LeaseRecord, which reclaims the slot.
   *
   * Pool-scoped leases (the pool built through PoolScopedLeases, for a runtime that guards every
   * access itself, as slotpool-chicory does with the calls into an instance) have no arena: their
   * segments are slices of the pool's own reservation segment, whose shared arena closes once, when
   * the pool terminates. Closing such a lease costs no handshake and invalidates nothing; the
   * runtime guarantees that no access of the slot happens after close(). A stale segment still
   * never crashes the JVM: the reservation stays mapped while any segment of its arena is
   * reachable (the arena's cleanup refers to the pool), and throws once the pool has terminated.
   * The Anchor is then reachable from this lease alone, which the runtime's memory keeps.
   *
   * State changes happen under `this`; the pool's reset runs after the arena is closed and outside
   * the lock. Whichever of close(), the pool's invalidate() or the cleaner first wins
   * record.finish() accounts for the lease, exactly once. Invariant: closed implies
   * arena == null || !arena.scope().isAlive().
   */

  private final MemoryPool pool;
  private final int slot;
  private final Object key;
  private final MemoryImage image;
  private final boolean reused;
  private final long address;
  private final Arena arena; // null for a pool-scoped lease
  private final MemorySegment reservation; // the pool's, for a pool-scoped lease; else null
  private final Anchor anchor;
  private final LeaseRecord record;
  private final Cleaner.Cleanable cleanable;
  private volatile MemorySegment segment;
  private volatile boolean closed;

  PooledMemory(
      MemoryPool pool,
      int slot,
      Object key,
      MemoryImage image,
      boolean reused,
      long address,
      long byteSize,
      boolean threadConfined,
      MemorySegment reservation,
      Throwable site) {
    this.pool = pool;
    this.slot = slot;
    this.key = key;
    this.image = image;
    this.reused = reused;
    this.address = address;
    this.reservation = reservation;
    this.arena =
        reservation != null ? null : threadConfined ? Arena.ofConfined() : Arena.ofShared();
    this.anchor = new Anchor(pool);
    this.record = new LeaseRecord(this, pool, slot, site);
    this.segment = slice(byteSize);
    this.cleanable = Mapping.CLEANER.register(anchor, record);
  }

  /**
   * The accessible bytes, {@code [0, byteSize())}, as of now.
   *
   * @throws IllegalStateException if this lease is closed
   */
  public MemorySegment segment() {
    if (closed) {
      throw closedException();
    }
    return segment;
  }

  /** The accessible size in bytes: the initial size, or the last size passed to {@link #grow}. */
  public long byteSize() {
    return segment.byteSize();
  }

  /** The most this memory can grow to: the pool's {@code maxMemoryBytes}. */
  public long maxByteSize() {
    return pool.maxMemoryBytes();
  }

  /**
   * Grows the accessible bytes in place to {@code newBytes} (the new bytes read as the image's or
   * as zero) and returns the new segment, which {@link #segment()} returns from now on. Nothing is
   * copied or moved; earlier segments stay valid with their old size.
   *
   * @param newBytes the new size, from {@link #byteSize()} to {@link #maxByteSize()}
   * @throws IllegalArgumentException if {@code newBytes} is out of that range
   * @throws IllegalStateException if this lease is closed
   * @throws NativeMemoryException if {@code mprotect} fails (the size is unchanged)
   */
  public synchronized MemorySegment grow(long newBytes) {
    if (closed) {
      throw closedException();
    }
    MemorySegment current = segment;
    if (newBytes < current.byteSize() || newBytes > pool.maxMemoryBytes()) {
      throw new IllegalArgumentException(
          "newBytes: "
              + newBytes
              + " (expected: "
              + current.byteSize()
              + " <= newBytes <= maxMemoryBytes "
              + pool.maxMemoryBytes()
              + ")");
    }
    if (newBytes == current.byteSize()) {
      return current;
    }
    pool.makeAccessible(slot, newBytes);
    MemorySegment grown = slice(newBytes);
    segment = grown;
    return grown;
  }

  /** The slot this lease holds, in {@code [0, pool.slots())}. */
  public int slot() {
    return slot;
  }

  /** The affinity key this lease was allocated with, or {@code null}. */
  public Object key() {
    return key;
  }

  /** The image this lease was allocated with, or {@code null}. */
  public MemoryImage image() {
    return image;
  }

  /**
   * Whether this allocation was an affinity hit on a warm slot that already held the same image, so
   * that nothing was mapped at all. The contents are the pristine image either way; a runtime can
   * use this to skip per-instance work it cached with the slot.
   */
  public boolean reused() {
    return reused;
  }

  /** Whether {@link #close()} has completed (or the pool was closed under this lease). */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Invalidates every segment of this lease, resets the slot and returns it to the pool.
   * Idempotent.
   *
   * @throws IllegalStateException if a native call still holds one of this lease's segments (the
   *     lease stays open)
   * @throws WrongThreadException if the lease is thread-confined to another thread (it stays open;
   *     close it on the thread that allocated it)
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closeArena();
      closed = true;
    }
    try {
      if (record.finish()) {
        pool.release(record, segment.byteSize());
      }
    } finally {
      cleanable.clean(); // the record does nothing now; this unregisters it
    }
  }

  /**
   * Invalidates the segments without returning the slot: the pool is closing. Returns whether this
   * call accounted for the lease (so the pool counts it done).
   *
   * @throws IllegalStateException if a native call holds a segment (the lease stays open)
   * @throws WrongThreadException if the lease is confined to another thread (it stays open)
   */
  synchronized boolean invalidate() {
    if (closed || arena == null) {
      return false; // a pool-scoped lease stays open: its owner guards it, and will close it
    }
    arena.close();
    closed = true;
    boolean mine = record.finish();
    cleanable.clean();
    return mine;
  }

  /** The pool's record of this lease. */
  LeaseRecord record() {
    return record;
  }

  @Override
  public String toString() {
    return "PooledMemory[slot="
        + slot
        + ", byteSize="
        + segment.byteSize()
        + (closed ? ", closed]" : "]");
  }

  /**
   * The segments' cleanup action, which does nothing but refer to the pool. The arena keeps its
   * cleanup actions until it closes, and every segment keeps its arena, so a segment that outlives
   * every reference to its lease and pool still keeps the pool, and so its reservation, from the
   * pool's cleaner; and the leak cleaner, which watches this object, waits for every segment too.
   */
  private static final class Anchor implements Consumer<MemorySegment> {
    private final MemoryPool pool;

    Anchor(MemoryPool pool) {
      this.pool = pool;
    }

    @Override
    public void accept(MemorySegment segment) {
      Objects.requireNonNull(pool);
    }
  }

  /** The first {@code byteSize} bytes of the slot, in this lease's arena or the pool's. */
  private MemorySegment slice(long byteSize) {
    if (reservation != null) {
      return reservation.asSlice(address - reservation.address(), byteSize);
    }
    return MemorySegment.ofAddress(address).reinterpret(byteSize, arena, anchor);
  }

  private void closeArena() {
    if (arena == null) {
      return; // pool-scoped: the owner guarantees that nothing accesses the slot any more
    }
    try {
      arena.close();
    } catch (WrongThreadException e) {
      throw new WrongThreadException(
          "PooledMemory of slot "
              + slot
              + " is confined to the thread that allocated it, and only that thread may close it:"
              + " close it there (hand the request back to it), or build the pool with"
              + " threadConfined(false) to use and close leases from any thread",
          e);
    }
  }

  private IllegalStateException closedException() {
    return new IllegalStateException(
        "PooledMemory of slot " + slot + " is closed: its memory belongs to the pool again");
  }
}
