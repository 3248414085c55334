package dev.slotpool.chicory.internal;

import com.dylibso.chicory.runtime.GlobalFactory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.slotpool.memory.MemoryImage;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The state of one instance after its initialisation, captured so that later instances can start
 * from it: the bytes and size of every memory the module defines (as copy-on-write images), the
 * values of its globals, the contents and sizes of its tables (function references by index), and
 * which data and element segments were dropped.
 *
 * <p>Immutable once captured and thread-safe; {@link #close()} releases the images.
 */
/*
 * Implementation notes
 *
 * What cannot be captured is refused before anything is built: a shared memory; an imported
 * memory, table or mutable global (their state belongs to whoever provided them); and, after the
 * init ran, a global or table entry that holds a reference other than a function of the instance
 * itself (an externref, a GC object, a function of another instance). A function reference is a
 * function index; an index below the import count names an imported function, which each new
 * instance binds to whatever its imports provide: that is the re-binding "by import index".
 *
 * Restoring goes through Chicory's own construction: a GlobalFactory hands out the captured values
 * in index order (Instance.initialize asks for the defined globals in order, once each), a
 * TableFactory builds each defined table at its captured size from a private copy of its type
 * (PrivateTables: Chicory's TableInstance.grow also grows the TableLimits it was built with, which
 * must not leak out of one instance), and restore() then writes the captured entries and drops the
 * captured segments.
 *
 * Images are sparse: only the 4 KiB runs that hold a non-zero byte are put, so an image costs what
 * the init wrote, and the memfd keeps holes elsewhere.
 *
 * Invariant: images.length == pages.length == the number of defined memories.
 */
public final class SnapshotState implements AutoCloseable {
  private static final int CHUNK = 1 << 20;
  private static final int RUN = 4096;

  private final long[] globalLow;
  private final long[] globalHigh;
  private final int[][] tableRefs;
  private final boolean[][] tableOwn;
  private final int[] droppedData;
  private final int[] droppedElements;
  private final int[] pages;
  private final MemoryImage[] images;
  private final long imageBytes;

  private SnapshotState(
      long[] globalLow,
      long[] globalHigh,
      int[][] tableRefs,
      boolean[][] tableOwn,
      int[] droppedData,
      int[] droppedElements,
      int[] pages,
      MemoryImage[] images,
      long imageBytes) {
    this.globalLow = globalLow;
    this.globalHigh = globalHigh;
    this.tableRefs = tableRefs;
    this.tableOwn = tableOwn;
    this.droppedData = droppedData;
    this.droppedElements = droppedElements;
    this.pages = pages;
    this.images = images;
    this.imageBytes = imageBytes;
  }

  /**
   * Refuses, before anything runs, a module whose state a snapshot cannot hold.
   *
   * @throws UnsupportedOperationException naming what cannot be captured
   */
  public static void checkModule(WasmModule module) {
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      var imp = imports.getImport(i);
      ExternalType type = imp.importType();
      boolean mutableGlobal =
          type == ExternalType.GLOBAL
              && ((GlobalImport) imp).mutabilityType() == MutabilityType.Var;
      if (type == ExternalType.MEMORY || type == ExternalType.TABLE || mutableGlobal) {
        throw refused(
            "it imports "
                + (mutableGlobal ? "the mutable global " : type.name().toLowerCase() + " ")
                + imp.module()
                + "."
                + imp.name()
                + ", whose state belongs to the host");
      }
    }
    if (module.memorySection().isPresent()) {
      var memories = module.memorySection().get();
      for (int i = 0; i < memories.memoryCount(); i++) {
        if (memories.getMemory(i).limits().shared()) {
          throw refused("memory " + i + " is shared (threads proposal)");
        }
      }
    }
  }

  /**
   * Captures {@code instance}'s state; the instance must not run meanwhile.
   *
   * @throws UnsupportedOperationException if a global or table holds a reference that cannot be
   *     re-bound by index
   * @throws dev.slotpool.memory.NativeMemoryException if an image cannot be built
   */
  public static SnapshotState capture(Instance instance) {
    WasmModule module = instance.module();
    checkModule(module);
    var imports = instance.imports();

    int globals = module.globalSection().globalCount();
    long[] low = new long[globals];
    long[] high = new long[globals];
    for (int i = 0; i < globals; i++) {
      GlobalInstance g = instance.global(imports.globalCount() + i);
      low[i] = g.getValueLow();
      high[i] = g.getValueHigh();
      if (g.getType().isReference() && low[i] != Value.REF_NULL_VALUE) {
        boolean own = g.getInstance() == null || g.getInstance() == instance;
        if (!isFunctionType(g.getType()) || !own) {
          throw refused("global " + (imports.globalCount() + i) + " holds " + what(g.getType()));
        }
      }
    }

    int tables = module.tableSection().tableCount();
    int[][] refs = new int[tables][];
    boolean[][] own = new boolean[tables][];
    for (int t = 0; t < tables; t++) {
      TableInstance table = instance.table(t);
      int size = table.size();
      refs[t] = new int[size];
      own[t] = new boolean[size];
      boolean functions = isFunctionType(table.elementType());
      for (int j = 0; j < size; j++) {
        int ref = table.ref(j);
        Instance owner = table.instance(j);
        refs[t][j] = ref;
        own[t][j] = owner == instance;
        if (ref != Value.REF_NULL_VALUE && (!functions || (owner != null && owner != instance))) {
          throw refused(
              "table "
                  + t
                  + " entry "
                  + j
                  + " holds "
                  + (functions ? "a function of another instance" : what(table.elementType())));
        }
      }
    }

    var segments = module.dataSection().dataSegments();
    int[] droppedData = new int[segments.length];
    int dropped = 0;
    for (int i = 0; i < segments.length; i++) {
      if (isDataDropped(instance, segments, i)) {
        droppedData[dropped++] = i;
      }
    }
    droppedData = Arrays.copyOf(droppedData, dropped);
    int[] droppedElements = new int[instance.elementCount()];
    dropped = 0;
    for (int i = 0; i < droppedElements.length; i++) {
      if (instance.element(i) == null) {
        droppedElements[dropped++] = i;
      }
    }
    droppedElements = Arrays.copyOf(droppedElements, dropped);

    int memories = module.memorySection().map(s -> s.memoryCount()).orElse(0);
    int[] pages = new int[memories];
    MemoryImage[] images = new MemoryImage[memories];
    long imageBytes = 0;
    try {
      for (int i = 0; i < memories; i++) {
        Memory memory = instance.memory(i);
        pages[i] = memory.pages();
        images[i] = image(memory);
        imageBytes += images[i].byteSize();
      }
    } catch (RuntimeException | Error e) {
      for (MemoryImage image : images) {
        if (image != null) {
          image.close();
        }
      }
      throw e;
    }
    return new SnapshotState(
        low, high, refs, own, droppedData, droppedElements, pages, images, imageBytes);
  }

  /**
   * Whether {@code instance} dropped its data segment {@code i} ({@code segments} being its
   * module's own). Chicory drops a segment by putting an empty one in its place, and {@code
   * DataSegment.data()} returns a fresh copy on every call, so identity says nothing: a segment is
   * dropped iff the instance's is empty and the module's is not (an empty segment and a dropped one
   * behave the same, so that case needs no answer).
   */
  public static boolean isDataDropped(Instance instance, DataSegment[] segments, int i) {
    return instance.dataSegmentData(i).length == 0 && segments[i].data().length != 0;
  }

  /** A sparse image of the memory as it stands, its extent the memory's whole size. */
  private static MemoryImage image(Memory memory) {
    long size = (long) memory.pages() * Memory.PAGE_SIZE;
    MemoryImage.Builder builder = MemoryImage.builder().byteSize(size);
    for (long base = 0; base < size; base += CHUNK) {
      int length = (int) Math.min(CHUNK, size - base);
      MemorySegment chunk = MemorySegment.ofArray(memory.readBytes((int) base, length));
      int runStart = -1;
      for (int off = 0; off <= length; off += RUN) {
        boolean dirty = off < length && !allZero(chunk, off, Math.min(RUN, length - off));
        if (dirty && runStart < 0) {
          runStart = off;
        } else if (!dirty && runStart >= 0) {
          builder.put(base + runStart, chunk.asSlice(runStart, off - runStart));
          runStart = -1;
        }
      }
    }
    return builder.build();
  }

  private static boolean allZero(MemorySegment chunk, int offset, int length) {
    for (int i = 0; i < length; i += 8) {
      if (i + 8 <= length
          ? chunk.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, offset + i) != 0
          : !tailZero(chunk, offset + i, length - i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean tailZero(MemorySegment chunk, int offset, int length) {
    for (int i = 0; i < length; i++) {
      if (chunk.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + i) != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isFunctionType(ValType type) {
    int heap = type.typeIdx();
    return heap == ValType.TypeIdxCode.FUNC.code() || heap == ValType.TypeIdxCode.NOFUNC.code();
  }

  private static String what(ValType type) {
    return "a reference of type "
        + type
        + " (only function references of the instance itself can be captured)";
  }

  private static UnsupportedOperationException refused(String why) {
    return new UnsupportedOperationException("cannot snapshot the instance: " + why);
  }

  /** The number of memories the module defines. */
  public int memoryCount() {
    return pages.length;
  }

  /** The size of defined memory {@code i} when captured, in pages. */
  public int pages(int i) {
    return pages[i];
  }

  /** The image of defined memory {@code i}; its extent is the memory's whole captured size. */
  public MemoryImage image(int i) {
    return images[i];
  }

  /** The bytes the images span, summed over the memories. */
  public long imageBytes() {
    return imageBytes;
  }

  /** The memory limits a restored memory {@code i} starts with: its captured size, its maximum. */
  public MemoryLimits limits(int i, MemoryLimits declared) {
    return new MemoryLimits(pages[i], declared.maximumPages(), false);
  }

  /**
   * A factory that gives the defined globals of one new instance their captured values, in the
   * order Chicory creates them; use it for one instantiation only.
   */
  // Endive deprecates this GlobalInstance constructor, without a replacement in Chicory 1.7.5.
  @SuppressWarnings("deprecation")
  public GlobalFactory globalFactory() {
    int[] next = {0};
    return (value, highValue, type, mutability) -> {
      int i = next[0]++;
      return new GlobalInstance(globalLow[i], globalHigh[i], type, mutability);
    };
  }

  /**
   * A factory that builds the defined tables of one new instance at their captured sizes; use it
   * for one instantiation only.
   */
  public TableFactory tableFactory(boolean tracked) {
    int[] next = {0};
    return (table, initValue) -> {
      int size = tableRefs[next[0]++].length;
      return tracked
          ? TrackedTable.of(table, size, initValue)
          : new TableInstance(PrivateTables.copy(table, size), initValue);
    };
  }

  /** Writes the captured table entries into {@code instance} and drops the captured segments. */
  public void restore(Instance instance) {
    for (int t = 0; t < tableRefs.length; t++) {
      TableInstance table = instance.table(t);
      int[] refs = tableRefs[t];
      boolean[] own = tableOwn[t];
      for (int j = 0; j < refs.length; j++) {
        table.setRef(j, refs[j], own[j] ? instance : null);
      }
    }
    for (int i : droppedData) {
      instance.dropDataSegment(i);
    }
    for (int i : droppedElements) {
      instance.setElement(i, null);
    }
  }

  @Override
  public void close() {
    for (MemoryImage image : images) {
      image.close();
    }
  }
}
