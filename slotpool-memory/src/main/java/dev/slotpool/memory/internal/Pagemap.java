package dev.slotpool.memory.internal;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.slotpool.memory.NativeMemoryException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@code PAGEMAP_SCAN} ioctl on {@code /proc/self/pagemap} (Linux 6.7+): which pages of a range
 * are present, swapped, file-backed or the shared zero page, in a few syscalls instead of touching
 * every page.
 *
 * <p>Thread-safe: the file is opened once per process and never closed; each thread scans with its
 * own {@link Scan} buffers.
 */
public final class Pagemap {
  /*
   * Implementation notes.
   *
   * struct pm_scan_arg is twelve u64 fields (96 bytes): size, flags, start, end, walk_end, vec,
   * vec_len, max_pages, category_inverted, category_mask, category_anyof_mask, return_mask. The
   * kernel fills vec with struct page_region {start, end, categories} (24 bytes each), merging
   * neighbouring pages whose categories, masked by return_mask, agree; it stops when vec is full or
   * the range is done and says where in walk_end. PAGEMAP_SCAN is _IOWR('f', 16, 96 bytes).
   *
   * Support is probed once with an empty scan, as Wasmtime's pagemap.rs does: an older kernel
   * answers ENOTTY, and then nobody scans. The descriptor is not re-opened after fork(), which the
   * JVM never does in-process.
   */

  /** A page mapped from a file, unmodified (for a private mapping: never written). */
  public static final long PAGE_IS_FILE = 1L << 2;

  /** A page with a page-table entry that points at memory. */
  public static final long PAGE_IS_PRESENT = 1L << 3;

  /** A page swapped out: it was written and must be reset like a present one. */
  public static final long PAGE_IS_SWAPPED = 1L << 4;

  /** A page mapped to the shared zero page: read but never written, and not resident. */
  public static final long PAGE_IS_PFNZERO = 1L << 5;

  /**
   * Whether a region of {@code categories} (as {@link Scan#categories} reports them) holds pages a
   * lease wrote, which a reset must restore: present or swapped out, neither the shared zero page
   * nor an unmodified file page. A swapped page was written (a clean page is dropped, not swapped),
   * so it is restored like a present one; a page under migration is reported as swapped too, and is
   * written unless it is also a file page.
   */
  public static boolean isWritten(long categories) {
    return (categories & (PAGE_IS_FILE | PAGE_IS_PFNZERO)) == 0;
  }

  private static final long PAGEMAP_SCAN = 0xC0606610L;
  private static final long ARG_BYTES = 96;
  private static final long REGION_BYTES = 24;
  private static final int MAX_REGIONS = 64;

  private static final int FD = openAndProbe();

  private static final ThreadLocal<Scan> SCANS = ThreadLocal.withInitial(Scan::new);

  private Pagemap() {}

  /** Whether this kernel supports {@code PAGEMAP_SCAN}. */
  public static boolean isAvailable() {
    return FD >= 0;
  }

  /** This thread's scan buffers. */
  public static Scan scan() {
    return SCANS.get();
  }

  private static int openAndProbe() {
    if (!Libc.isLinux()) {
      return -1;
    }
    int fd;
    try {
      fd = Libc.open("/proc/self/pagemap", Libc.O_RDONLY | Libc.O_CLOEXEC);
    } catch (NativeMemoryException e) {
      return -1;
    }
    try {
      new Scan().run(fd, 0, 0);
      return fd;
    } catch (NativeMemoryException e) {
      Libc.close(fd);
      return -1;
    }
  }

  /**
   * Buffers for one thread's scans. Not thread-safe. {@link #run} fills the regions, which are read
   * with {@link #start}, {@link #end} and {@link #categories}.
   */
  public static final class Scan {
    private final MemorySegment arg;
    private final MemorySegment regions;
    private int count;

    Scan() {
      Arena arena = Arena.ofAuto();
      arg = arena.allocate(ARG_BYTES, 8);
      regions = arena.allocate(REGION_BYTES * MAX_REGIONS, 8);
    }

    /**
     * Scans {@code [start, end)} for pages that are present or swapped, reporting whether each run
     * is file-backed, the zero page or swapped. Returns how many regions were filled; scanning
     * stopped at {@link #walkEnd()}, which is {@code end} unless the buffer filled up.
     *
     * @throws NativeMemoryException if the ioctl fails
     */
    public int run(long start, long end) {
      return run(FD, start, end);
    }

    int run(int fd, long start, long end) {
      arg.set(JAVA_LONG, 0, ARG_BYTES);
      arg.set(JAVA_LONG, 8, 0L);
      arg.set(JAVA_LONG, 16, start);
      arg.set(JAVA_LONG, 24, end);
      arg.set(JAVA_LONG, 32, 0L);
      arg.set(JAVA_LONG, 40, regions.address());
      arg.set(JAVA_LONG, 48, MAX_REGIONS);
      arg.set(JAVA_LONG, 56, 0L);
      arg.set(JAVA_LONG, 64, 0L);
      arg.set(JAVA_LONG, 72, 0L);
      arg.set(JAVA_LONG, 80, PAGE_IS_PRESENT | PAGE_IS_SWAPPED);
      arg.set(JAVA_LONG, 88, PAGE_IS_FILE | PAGE_IS_PFNZERO | PAGE_IS_SWAPPED);
      count = Libc.ioctl(fd, PAGEMAP_SCAN, arg);
      return count;
    }

    /** Where the last scan stopped. */
    public long walkEnd() {
      return arg.get(JAVA_LONG, 32);
    }

    /** The first address of region {@code i} of the last scan. */
    public long start(int i) {
      return regions.get(JAVA_LONG, i * REGION_BYTES);
    }

    /** The address after region {@code i} of the last scan. */
    public long end(int i) {
      return regions.get(JAVA_LONG, i * REGION_BYTES + 8);
    }

    /** The categories of region {@code i}, masked to file, zero page and swapped. */
    public long categories(int i) {
      return regions.get(JAVA_LONG, i * REGION_BYTES + 16);
    }

    /** The number of regions the last scan filled. */
    public int count() {
      return count;
    }
  }
}
