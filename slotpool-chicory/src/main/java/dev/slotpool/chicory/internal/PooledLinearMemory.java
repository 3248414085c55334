package dev.slotpool.chicory.internal;

import static com.dylibso.chicory.runtime.ConstantEvaluators.computeConstantValue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import dev.slotpool.memory.PooledMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Function;

/**
 * A Chicory {@link Memory} whose bytes live in a {@link PooledMemory} slot: little-endian loads and
 * stores of every width straight on the slot's bytes, bulk operations, passive segments, and {@code
 * memory.grow} in place up to the smaller of the module's maximum and the pool's {@code
 * maxMemoryBytes}. Out-of-bounds accesses trap exactly where Chicory's {@code ByteArrayMemory}
 * traps, with the same {@link WasmRuntimeException} and message (but for the address it names when
 * an access straddles a page: Chicory names the first bad byte, this memory the access), and a
 * refused {@code grow} returns -1 as it does.
 *
 * <p>Once its instance is closed ({@link #invalidate()}), every access throws {@link
 * IllegalStateException}: host code never reaches a closed instance's slot, and Wasm code still
 * running in it (a call being cancelled) stops at its next access. The slot itself is returned
 * ({@link #release()}) only once no call runs in the instance (see {@link InstanceMemories}).
 *
 * <p>Not thread-safe, like the non-shared memories it replaces: one thread at a time runs the
 * instance, any thread; {@code invalidate} alone may come from any thread at any time. Shared
 * memories are not pooled.
 */
/*
 * Implementation notes
 *
 * State. `seg` is the segment every bulk access goes through, and `buf` the same bytes as a
 * little-endian ByteBuffer, which every single load and store goes through. While the memory is
 * LIVE they are the lease's segment and a buffer of it; otherwise the empty NULL segment and a
 * buffer of no bytes, so that any access fails its bounds check and lands in the slow path
 * (`activate`), at no cost to the fast path. publish() writes both, `seg` first.
 *
 *   FRESH  the slot holds the image (or zeros) as the pool handed it out, but to Chicory the memory
 *          is all zeros until initialize(): Instance.initialize calls zero() and then initialize(),
 *          and this state lets both cost nothing. zero() keeps FRESH. initialize() skips the
 *          segments already in the image and goes LIVE. Any other access first wipes the image
 *          bytes (so the memory really is zero) and goes LIVE: slow, but only reachable when
 *          Chicory is told not to initialise.
 *   LIVE   `seg` is the slot; everything is a plain segment or buffer access.
 *   CLOSED `seg` stays NULL for good; the lease has been returned.
 *
 * Why a buffer for loads and stores. A Chicory-compiled Wasm function is one JVM method with an
 * inlined memory access per load and store, and C2 stops inlining in a method once its node count
 * passes a fixed cutoff; past it, even i32.rotl becomes a call. A segment access through its
 * VarHandle inlines several times the nodes of a buffer access, which checks the same liveness: in
 * c-sha256's compression function C2 gave up inlining at 110 call sites with the segment and at 43
 * with the buffer (ByteArrayMemory: none), and the work ran in about 165 us instead of 205
 * (ByteArrayMemory 136; docs/BENCHMARKS.md).
 *
 * Isolation. The lease is pool-scoped (PoolScopedLeases): its segment is a slice of the pool's
 * reservation, valid until the pool terminates, so closing it costs no handshake and invalidates
 * nothing by itself. What keeps a closed instance away from the slot's next user is the instance's
 * call counting: the slot is reset only when no Wasm call of the instance runs (InstanceMemories),
 * so however long a compiled loop keeps a stale copy of `buf` in a register, it only reaches its
 * own, not yet released slot; and host code that touches the memory after close() reads the NULL
 * that invalidate() published and throws. `seg` and `buf` are therefore READ plainly, on purpose: a
 * volatile read on every load and store keeps the JIT from keeping the buffer (and its bounds
 * checks) in registers across a compiled Wasm function, and made execution on pooled memory 1.6x to
 * several times slower than on ByteArrayMemory (docs/BENCHMARKS.md). A cancelled call sees the NULL
 * soon: invalidate() interrupts the running thread after its NULL store, and Chicory's interruption
 * check is a volatile read, after which the next read of `buf` sees no bytes.
 *
 * Invariant: seg != NULL implies state == LIVE and !invalidated (up to the race above), and then
 * seg == slot, the lease's current segment, and buf is a buffer of it; seg == NULL implies buf ==
 * NO_BYTES once both stores of a publish() have landed.
 *
 * Traps. A fast-path access that fails (IndexOutOfBoundsException from the buffer's bounds check,
 * or IllegalStateException from the pool's arena once the pool has terminated) calls `activate`,
 * which promotes FRESH to LIVE, throws for CLOSED, and otherwise throws the trap with
 * ByteArrayMemory's message; the access is then retried on the returned segment. Bounds are
 * checked as ByteArrayMemory does, except that `addr + size` is computed without int overflow, so
 * the few requests on which Chicory fails with a NullPointerException trap cleanly here.
 */
public final class PooledLinearMemory implements Memory {

  private static final ValueLayout.OfShort SHORT =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfDouble DOUBLE =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** The buffer of no bytes that {@code buf} holds while {@code seg} is NULL. */
  private static final ByteBuffer NO_BYTES = bufferOf(MemorySegment.NULL);

  private static final VarHandle SEG;
  private static final VarHandle BUF;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      SEG = lookup.findVarHandle(PooledLinearMemory.class, "seg", MemorySegment.class);
      BUF = lookup.findVarHandle(PooledLinearMemory.class, "buf", ByteBuffer.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final int FRESH = 0;
  private static final int LIVE = 1;
  private static final int CLOSED = 2;

  private PooledMemory lease; // replaced only by recycle(), while no call runs
  private final MemoryLimits limits;
  private final MemoryPlan plan;
  private final boolean imageMapped;
  private InstanceMemories instance; // as `lease`

  private MemorySegment seg = MemorySegment.NULL; // read plainly, written through SEG
  private ByteBuffer buf = NO_BYTES; // `seg` as a buffer; read plainly, written through BUF
  private volatile boolean invalidated;
  private MemorySegment slot;
  private int pages;
  private volatile int state = FRESH;
  private DataSegment[] dataSegments;

  /**
   * Wraps {@code lease}, which holds {@code plan.image()} if {@code imageMapped} (zeros otherwise)
   * and {@code limits.initialPages()} pages, as the next memory of {@code instance}.
   */
  public PooledLinearMemory(
      PooledMemory lease,
      MemoryLimits limits,
      MemoryPlan plan,
      boolean imageMapped,
      InstanceMemories instance) {
    this.lease = lease;
    this.limits = limits;
    this.plan = plan;
    this.imageMapped = imageMapped;
    this.instance = instance;
    this.slot = lease.segment();
    this.pages = limits.initialPages();
    instance.add(this);
  }

  /** The lease behind this memory. */
  public PooledMemory lease() {
    return lease;
  }

  /**
   * Returns the slot to the pool and makes every later access throw; idempotent. Called once no
   * call runs in the instance (see {@link InstanceMemories}).
   */
  void release() {
    if (state == CLOSED) {
      return;
    }
    invalidated = true;
    state = CLOSED;
    publish(MemorySegment.NULL);
    slot = MemorySegment.NULL;
    dataSegments = null;
    lease.close();
  }

  /**
   * Serves a recycled instance's next request from {@code next}, a lease of the same key that holds
   * the same image (or zeros) at the initial size, as the lease this memory was built with did: the
   * memory starts over FRESH on it, with {@code dataSegments} (the instance's, restored) as its
   * passive segments. The caller then initialises it as Chicory would, which copies only the
   * segments outside the image. Only after {@link #release()}.
   */
  public void recycle(PooledMemory next, InstanceMemories nextInstance) {
    if (state != CLOSED) {
      throw new IllegalStateException("memory of " + plan.key() + " is still leased");
    }
    this.lease = next;
    this.instance = nextInstance;
    this.slot = next.segment();
    this.pages = limits.initialPages();
    this.invalidated = false;
    this.state = FRESH;
    nextInstance.add(this);
  }

  /** The passive and active segments this memory was initialised with, or null before. */
  public DataSegment[] dataSegments() {
    return dataSegments;
  }

  /**
   * Makes every later access throw, from any thread; the slot stays leased until {@link
   * #release()}. A running call that already holds the buffer sees the change at its next read of
   * it (see the notes).
   */
  void invalidate() {
    invalidated = true;
    publish(MemorySegment.NULL);
  }

  // ---------------------------------------------------------------------------------------------
  // Size and growth

  @Override
  public int pages() {
    return pages;
  }

  @Override
  public int grow(int size) {
    if (state == CLOSED || invalidated) {
      throw unusable();
    }
    int prevPages = pages;
    int numPages = prevPages + size; // int arithmetic and checks exactly as ByteArrayMemory's
    if (numPages > maximumPages() || numPages < prevPages) {
      return -1;
    }
    long newBytes = (long) numPages * PAGE_SIZE;
    if (newBytes > lease.maxByteSize()) {
      return -1;
    }
    if (numPages != prevPages) {
      MemorySegment grown = lease.grow(newBytes);
      slot = grown;
      if (state == LIVE) {
        publish(grown);
        if (invalidated) {
          publish(MemorySegment.NULL);
        }
      }
      pages = numPages;
    }
    return prevPages;
  }

  @Override
  public int initialPages() {
    return limits.initialPages();
  }

  @Override
  public int maximumPages() {
    return Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
  }

  @Override
  public boolean shared() {
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Initialisation and passive segments

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments) {
    initialize(instance, dataSegments, 0);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
    boolean skipImaged = (state == FRESH) && imageMapped && memoryIndex == plan.memoryIndex();
    if (state == FRESH) {
      if (imageMapped && !skipImaged) {
        wipeImage();
      }
      goLive();
    } else {
      ready();
    }
    this.dataSegments = dataSegments;
    if (dataSegments == null) {
      return;
    }
    for (int i = 0; i < dataSegments.length; i++) {
      if (!(dataSegments[i] instanceof ActiveDataSegment segment)
          || segment.index() != memoryIndex
          || (skipImaged && plan.inImage(i))) {
        continue;
      }
      byte[] data = segment.data();
      int offset = (int) computeConstantValue(instance, segment.offsetInstructions())[0];
      checkBounds(offset, data.length, seg.byteSize(), UninstantiableException::new);
      write(offset, data, 0, data.length);
    }
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    ready(); // a closed memory has no segments: throw what every other access throws
    write(dest, dataSegments[segmentId].data(), offset, size);
  }

  @Override
  public void drop(int segment) {
    ready();
    dataSegments[segment] = PassiveDataSegment.EMPTY;
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk access

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    MemorySegment s = ready();
    checkBounds(offset, size, data.length, WasmRuntimeException::new);
    checkBounds(addr, size, s.byteSize(), WasmRuntimeException::new);
    try {
      MemorySegment.copy(data, offset, s, ValueLayout.JAVA_BYTE, addr, size);
    } catch (IllegalStateException e) {
      throw closedDuring(s, e);
    }
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    MemorySegment s = ready();
    checkBounds(addr, len, s.byteSize(), WasmRuntimeException::new);
    byte[] result = new byte[len];
    try {
      MemorySegment.copy(s, ValueLayout.JAVA_BYTE, addr, result, 0, len);
    } catch (IllegalStateException e) {
      throw closedDuring(s, e);
    }
    return result;
  }

  @Override
  public void zero() {
    if (state == FRESH && !invalidated) {
      return; // already zero as far as Chicory can tell
    }
    MemorySegment s = ready();
    try {
      s.fill((byte) 0);
    } catch (IllegalStateException e) {
      throw closedDuring(s, e);
    }
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    MemorySegment s = ready();
    int size = toIndex - fromIndex;
    checkBounds(fromIndex, size, s.byteSize(), WasmRuntimeException::new);
    try {
      s.asSlice(fromIndex, size).fill(value);
    } catch (IllegalStateException e) {
      throw closedDuring(s, e);
    }
  }

  @Override
  public void copy(int dest, int src, int size) {
    MemorySegment s = ready();
    long limit = s.byteSize();
    checkBounds(dest, size, limit, WasmRuntimeException::new);
    checkBounds(src, size, limit, WasmRuntimeException::new);
    try {
      MemorySegment.copy(s, src, s, dest, size); // as if through a temporary: overlap is safe
    } catch (IllegalStateException e) {
      throw closedDuring(s, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Loads and stores

  @Override
  public byte read(int addr) {
    try {
      return buf.get(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 1).get(ValueLayout.JAVA_BYTE, addr);
    }
  }

  @Override
  public void writeByte(int addr, byte data) {
    try {
      buf.put(addr, data);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      activate(addr, 1).set(ValueLayout.JAVA_BYTE, addr, data);
    }
  }

  // The interpreter loads through Memory's widening defaults (readI32, readU8, ...), each a call to
  // readInt, read, ...: these do the access themselves, one call fewer per interpreted load.

  @Override
  public long readI32(int addr) {
    try {
      return buf.getInt(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 4).get(INT, addr);
    }
  }

  @Override
  public long readU32(int addr) {
    try {
      return Integer.toUnsignedLong(buf.getInt(addr));
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return Integer.toUnsignedLong(activate(addr, 4).get(INT, addr));
    }
  }

  @Override
  public long readI64(int addr) {
    try {
      return buf.getLong(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 8).get(LONG, addr);
    }
  }

  @Override
  public long readI16(int addr) {
    try {
      return buf.getShort(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 2).get(SHORT, addr);
    }
  }

  @Override
  public long readU8(int addr) {
    try {
      return buf.get(addr) & 0xFFL;
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 1).get(ValueLayout.JAVA_BYTE, addr) & 0xFFL;
    }
  }

  @Override
  public long readI8(int addr) {
    try {
      return buf.get(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 1).get(ValueLayout.JAVA_BYTE, addr);
    }
  }

  @Override
  public short readShort(int addr) {
    try {
      return buf.getShort(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 2).get(SHORT, addr);
    }
  }

  @Override
  public long readU16(int addr) {
    return readShort(addr) & 0xFFFFL;
  }

  @Override
  public void writeShort(int addr, short data) {
    try {
      buf.putShort(addr, data);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      activate(addr, 2).set(SHORT, addr, data);
    }
  }

  @Override
  public int readInt(int addr) {
    try {
      return buf.getInt(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 4).get(INT, addr);
    }
  }

  @Override
  public void writeI32(int addr, int data) {
    try {
      buf.putInt(addr, data);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      activate(addr, 4).set(INT, addr, data);
    }
  }

  @Override
  public long readLong(int addr) {
    try {
      return buf.getLong(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 8).get(LONG, addr);
    }
  }

  @Override
  public void writeLong(int addr, long data) {
    try {
      buf.putLong(addr, data);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      activate(addr, 8).set(LONG, addr, data);
    }
  }

  @Override
  public float readFloat(int addr) {
    try {
      return buf.getFloat(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 4).get(FLOAT, addr);
    }
  }

  @Override
  public long readF32(int addr) {
    return readInt(addr);
  }

  @Override
  public void writeF32(int addr, float data) {
    try {
      buf.putFloat(addr, data);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      activate(addr, 4).set(FLOAT, addr, data);
    }
  }

  @Override
  public double readDouble(int addr) {
    try {
      return buf.getDouble(addr);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return activate(addr, 8).get(DOUBLE, addr);
    }
  }

  @Override
  public long readF64(int addr) {
    return readLong(addr);
  }

  @Override
  public void writeF64(int addr, double data) {
    try {
      buf.putDouble(addr, data);
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      activate(addr, 8).set(DOUBLE, addr, data);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Atomics on a non-shared memory: the interface's defaults, serialised on this object, which is
  // all a memory that one thread uses at a time needs. Waiting is refused as ByteArrayMemory does.

  @Override
  @SuppressWarnings("removal")
  public Object lock(int address) {
    return this;
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, int expected, long timeout) {
    throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, long expected, long timeout) {
    throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  @SuppressWarnings("removal")
  public int notify(int address, int maxThreads) {
    return 0;
  }

  @Override
  public void atomicFence() {
    VarHandle.fullFence();
  }

  // ---------------------------------------------------------------------------------------------
  // Slow paths

  /** The segment to use for a bulk operation: promotes FRESH to LIVE; throws if closed. */
  private MemorySegment ready() {
    MemorySegment s = seg;
    if (s != MemorySegment.NULL) {
      return s;
    }
    return slowReady();
  }

  private MemorySegment slowReady() {
    if (state == CLOSED || invalidated) {
      throw unusable();
    }
    wipeImage();
    return goLive();
  }

  /**
   * Called when a single access through {@code buf} failed: returns the segment to retry on, or
   * throws the trap (or the closed-instance exception) that the access deserves.
   */
  private MemorySegment activate(int addr, int size) {
    MemorySegment s = seg;
    if (s == MemorySegment.NULL) {
      s = slowReady();
    } else if (invalidated || !s.scope().isAlive()) {
      throw unusable(); // `buf` was seen cleared before `seg`, or the pool has terminated
    }
    checkBounds(addr, size, s.byteSize(), WasmRuntimeException::new);
    return s;
  }

  private MemorySegment goLive() {
    state = LIVE;
    publish(slot);
    if (invalidated) {
      publish(MemorySegment.NULL);
    }
    return slot;
  }

  /** Points {@code seg} and {@code buf} at {@code s} (NULL: at no bytes), with volatile stores. */
  private void publish(MemorySegment s) {
    SEG.setVolatile(this, s);
    BUF.setVolatile(this, s == MemorySegment.NULL ? NO_BYTES : bufferOf(s));
  }

  /**
   * {@code s} as a little-endian buffer: the same bytes under the same arena. A memory never
   * exceeds {@code RUNTIME_MAX_PAGES} (32,767 pages, just under 2 GiB), so every segment here fits
   * a buffer's {@code int} capacity.
   */
  private static ByteBuffer bufferOf(MemorySegment s) {
    return s.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private void wipeImage() {
    if (imageMapped) {
      MemorySegment s = slot;
      try {
        s.asSlice(0, plan.imageExtent()).fill((byte) 0);
      } catch (IllegalStateException e) {
        throw closedDuring(s, e);
      }
    }
  }

  /** The exception for an access after close. */
  private IllegalStateException unusable() {
    if (instance.isRunning()) {
      return new IllegalStateException(
          "memory of "
              + plan.key()
              + " is closed: its PooledInstance was closed while this call ran (cancelled); the"
              + " slot returns to the pool when the call has left the instance");
    }
    return new IllegalStateException(
        "memory of " + plan.key() + " is closed: its PooledInstance was closed, slot returned");
  }

  /** The exception for a bulk access through {@code s} that failed with {@code e}. */
  private RuntimeException closedDuring(MemorySegment s, IllegalStateException e) {
    return s.scope().isAlive() ? e : unusable(); // the pool has terminated
  }

  private static void checkBounds(
      int addr, int size, long limit, Function<String, ? extends ChicoryException> trap) {
    if (addr < 0 || size < 0 || addr > limit || (long) addr + size > limit) {
      throw trap.apply(
          "out of bounds memory access: attempted to access address: "
              + addr
              + " but limit is: "
              + limit
              + " and size: "
              + size);
    }
  }
}
