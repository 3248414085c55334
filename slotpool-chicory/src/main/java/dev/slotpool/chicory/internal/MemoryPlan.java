package dev.slotpool.chicory.internal;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.OpCode;
import dev.slotpool.memory.MemoryImage;
import java.util.List;

/**
 * What one memory that a module defines needs from the pool, computed once per module: its affinity
 * key and the image of its constant-offset data segments.
 *
 * <p>Immutable and thread-safe, except that {@link #close()} releases the image.
 */
/*
 * Implementation notes
 *
 * The image holds the longest prefix of the memory's active data segments (in section order) that
 * can be placed without running anything: each offset is a lone i32.const and the bytes lie inside
 * the module's declared initial size. The first segment that fails either test, and every segment
 * after it, is written by hand at instantiation (`inImage[i] == false`), in order, so that a later
 * segment still overwrites an earlier one exactly as Chicory's own initialisation does. Segments of
 * other memories and passive segments are never in the image.
 *
 * Invariant: image == null iff no segment is in the image (imageExtent == 0).
 */
public final class MemoryPlan implements AutoCloseable {

  private final int memoryIndex;
  private final MemoryLimits declaredLimits;
  private final ModuleMemoryKey key;
  private final MemoryImage image;
  private final long imageExtent;
  private final boolean[] inImage;

  private MemoryPlan(
      int memoryIndex,
      MemoryLimits declaredLimits,
      ModuleMemoryKey key,
      MemoryImage image,
      long imageExtent,
      boolean[] inImage) {
    this.memoryIndex = memoryIndex;
    this.declaredLimits = declaredLimits;
    this.key = key;
    this.image = image;
    this.imageExtent = imageExtent;
    this.inImage = inImage;
  }

  /**
   * Plans memory {@code memoryIndex} (counting imported memories first, as data segments do) with
   * the limits the module declares for it.
   */
  static MemoryPlan create(
      String moduleName, int memoryIndex, MemoryLimits limits, DataSegment[] segments) {
    long initialBytes = (long) limits.initialPages() * Memory.PAGE_SIZE;
    boolean[] inImage = new boolean[segments.length];
    MemoryImage.Builder builder = null;
    long extent = 0;
    for (int i = 0; i < segments.length; i++) {
      if (!(segments[i] instanceof ActiveDataSegment active) || active.index() != memoryIndex) {
        continue;
      }
      long offset = constantOffset(active.offsetInstructions());
      byte[] data = active.data();
      if (offset < 0 || offset + data.length > initialBytes) {
        break;
      }
      if (data.length > 0) {
        if (builder == null) {
          builder = MemoryImage.builder();
        }
        builder.put(offset, data);
        extent = Math.max(extent, offset + data.length);
      }
      inImage[i] = true;
    }
    MemoryImage image = (builder == null) ? null : builder.build();
    return new MemoryPlan(
        memoryIndex,
        limits,
        new ModuleMemoryKey(moduleName, memoryIndex),
        image,
        image == null ? 0 : extent,
        inImage);
  }

  /**
   * Plans memory {@code memoryIndex} as restored from a snapshot: {@code image} holds the whole
   * memory as captured, so every active segment of that memory counts as already in the image.
   */
  public static MemoryPlan ofSnapshot(
      String snapshotName,
      int memoryIndex,
      MemoryLimits limits,
      MemoryImage image,
      DataSegment[] segments) {
    boolean[] inImage = new boolean[segments.length];
    for (int i = 0; i < segments.length; i++) {
      inImage[i] = segments[i] instanceof ActiveDataSegment a && a.index() == memoryIndex;
    }
    return new MemoryPlan(
        memoryIndex,
        limits,
        new ModuleMemoryKey(snapshotName, memoryIndex),
        image,
        image.byteSize(),
        inImage);
  }

  /** The offset if {@code expr} is a lone {@code i32.const}, else -1 (evaluate at run time). */
  private static long constantOffset(List<Instruction> expr) {
    Instruction first = expr.isEmpty() ? null : expr.get(0);
    boolean single = expr.size() == 1 || (expr.size() == 2 && expr.get(1).opcode() == OpCode.END);
    if (first == null || !single || first.opcode() != OpCode.I32_CONST) {
      return -1;
    }
    // The constant is signed; a negative one traps at instantiation, which the copy path reports.
    return (int) first.operand(0);
  }

  public int memoryIndex() {
    return memoryIndex;
  }

  public MemoryLimits declaredLimits() {
    return declaredLimits;
  }

  public ModuleMemoryKey key() {
    return key;
  }

  /** The image of the leading constant segments, or null if there is none. */
  public MemoryImage image() {
    return image;
  }

  /** The bytes the image spans from offset 0: a memory needs at least this many to hold it. */
  public long imageExtent() {
    return imageExtent;
  }

  /** Whether data segment {@code segment} is already in the image. */
  public boolean inImage(int segment) {
    return segment < inImage.length && inImage[segment];
  }

  @Override
  public void close() {
    if (image != null) {
      image.close();
    }
  }
}
