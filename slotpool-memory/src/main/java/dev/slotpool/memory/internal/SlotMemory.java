package dev.slotpool.memory.internal;

import java.lang.foreign.MemorySegment;

/**
 * The native side of a pool's slots: one reservation, and per slot what is mapped, accessible and
 * resident. It maps images, changes protection and resets slots; it knows nothing of keys, leases
 * or which slot is free.
 *
 * <p>Not thread-safe per slot: each slot must be used by one thread at a time (its owner, as the
 * index allocator hands it out). Different slots may be used concurrently.
 */
// Restricted FFM methods (reinterpret) are the point of this layer.
@SuppressWarnings("restricted")
public final class SlotMemory {
  /*
   * Implementation notes.
   *
   * Layout: one PROT_NONE, MAP_NORESERVE anonymous reservation of slots * stride bytes, stride =
   * maxMemoryBytes + guardBytes; slot s starts at base + s * stride. Guards are never made
   * accessible. Only the first accessible[s] bytes of a slot (page-rounded) are read-write.
   * MADV_NOHUGEPAGE keeps residency page-exact, so that keep-resident means what it says on a
   * kernel whose transparent huge pages are "always" (elsewhere it is skipped: one syscall less per
   * mapping).
   *
   * Mapping an image: clear() replaces whatever the slot held with one mmap(MAP_FIXED) of fresh
   * PROT_NONE anonymous memory; mapImage() then maps the memfd MAP_PRIVATE|MAP_FIXED, so the slot
   * reads the image's pages from the page cache and copies a page only when it is written.
   *
   * Reset: with PAGEMAP_SCAN, the present or swapped pages of the accessible range are visited in
   * address order; written ones (neither file-backed nor the zero page) are copied back from the
   * image or zeroed by hand, clean file pages are left mapped, zero pages cost nothing, until
   * keepResidentBytes of resident pages have been kept; everything from that point on must be
   * decommitted. Without it, the first keepResidentBytes are restored by hand and the rest must be
   * decommitted. Either way every written byte is restored or dropped, and what stays resident is
   * exactly resident[s].
   *
   * Invariants: pages at or beyond accessible[s] are not resident and read as pristine; a reset
   * slot reads as its image (or zero) everywhere.
   */

  private static final boolean HUGE_PAGES_ALWAYS = hugePagesAlways();

  private final long base;
  private final long stride;
  private final long reservationBytes;
  private final Mapping reservation;
  private final long[] accessible;
  private final long[] resident;
  private final MemorySegment[] imageContents;
  private final long[] imageBytes;

  /**
   * Reserves the address space for {@code slots} slots.
   *
   * @throws dev.slotpool.memory.NativeMemoryException if the reservation fails (nothing stays
   *     mapped)
   */
  public SlotMemory(int slots, long maxMemoryBytes, long guardBytes) {
    this.stride = maxMemoryBytes + guardBytes;
    this.reservationBytes = Math.multiplyExact((long) slots, stride);
    this.accessible = new long[slots];
    this.resident = new long[slots];
    this.imageContents = new MemorySegment[slots];
    this.imageBytes = new long[slots];
    this.base =
        Libc.mmap(
            0,
            reservationBytes,
            Libc.PROT_NONE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE,
            -1,
            0);
    this.reservation = new Mapping(base, reservationBytes, -1);
    try {
      noHugePages(base, reservationBytes);
    } catch (RuntimeException e) {
      reservation.run();
      throw e;
    }
  }

  /** The reservation, to be released exactly once by the pool (or its cleaner). */
  public Mapping reservation() {
    return reservation;
  }

  /** The first address of the reservation. */
  public long base() {
    return base;
  }

  /** The length of the reservation. */
  public long reservationBytes() {
    return reservationBytes;
  }

  /** The first address of {@code slot}. */
  public long address(int slot) {
    return base + slot * stride;
  }

  /** The bytes a reset left resident in {@code slot}. */
  public long resident(int slot) {
    return resident[slot];
  }

  /**
   * Replaces whatever the slot has mapped or made accessible with fresh inaccessible memory: it
   * then maps no image and nothing of it is resident.
   */
  public void clear(int slot) {
    long extent = Math.max(accessible[slot], imageBytes[slot]);
    if (extent > 0) {
      long address = address(slot);
      Libc.mmap(
          address,
          extent,
          Libc.PROT_NONE,
          Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_FIXED | Libc.MAP_NORESERVE,
          -1,
          0);
      accessible[slot] = 0;
      resident[slot] = 0;
      imageContents[slot] = null;
      imageBytes[slot] = 0;
      noHugePages(address, extent);
    }
  }

  /**
   * Maps an image's memfd copy-on-write at the start of a {@link #clear cleared} slot.
   *
   * @param fd the memfd, at least {@code mappedBytes} long
   * @param mappedBytes the page-rounded length to map, at least one page
   * @param contents a readable view of the same bytes, from which resets copy pages back
   */
  public void mapImage(int slot, int fd, long mappedBytes, MemorySegment contents) {
    long address = address(slot);
    Libc.mmap(address, mappedBytes, Libc.PROT_NONE, Libc.MAP_PRIVATE | Libc.MAP_FIXED, fd, 0);
    imageContents[slot] = contents;
    imageBytes[slot] = mappedBytes;
    noHugePages(address, mappedBytes);
  }

  /**
   * Makes the first {@code bytes} (rounded up to a page) of the slot read-write and the rest
   * inaccessible; pages it takes away are dropped first so that nothing beyond stays resident.
   */
  public void makeAccessible(int slot, long bytes) {
    long page = Libc.pageSize();
    long want = (bytes + page - 1) & -page;
    long have = accessible[slot];
    long address = address(slot);
    if (want > have) {
      Libc.mprotect(address + have, want - have, Libc.PROT_READ | Libc.PROT_WRITE);
    } else if (want < have) {
      Libc.madvise(address + want, have - want, Libc.MADV_DONTNEED);
      Libc.mprotect(address + want, have - want, Libc.PROT_NONE);
    }
    accessible[slot] = want;
  }

  /**
   * Restores by hand what a reset keeps resident and returns the offset from which the rest of the
   * accessible range must still be decommitted ({@link #decommitFrom}); sets {@link #resident}.
   *
   * @param keepResidentBytes the page-rounded budget of resident bytes to keep
   * @param scan whether to use PAGEMAP_SCAN (it falls back if the scan fails)
   */
  public long reset(int slot, long keepResidentBytes, boolean scan) {
    long extent = accessible[slot];
    long keep = Math.min(keepResidentBytes, extent);
    if (scan && keep > 0) {
      long cutoff = resetScanned(slot, extent, keep);
      if (cutoff >= 0) {
        return cutoff;
      }
    }
    restore(slot, 0, keep);
    resident[slot] = keep;
    return keep;
  }

  /** The accessible bytes of the slot, the end of what {@link #reset} leaves to decommit. */
  public long accessible(int slot) {
    return accessible[slot];
  }

  /** Drops the slot's pages from {@code offset} to the end of its accessible range. */
  public void decommitFrom(int slot, long offset) {
    long length = accessible[slot] - offset;
    if (length > 0) {
      Libc.madvise(address(slot) + offset, length, Libc.MADV_DONTNEED);
    }
  }

  /** Returns the decommit cutoff, or -1 if the scan failed. */
  private long resetScanned(int slot, long extent, long keep) {
    Pagemap.Scan scan = Pagemap.scan();
    long address = address(slot);
    long end = address + extent;
    long position = address;
    long kept = 0;
    try {
      while (position < end) {
        int n = scan.run(position, end);
        for (int i = 0; i < n; i++) {
          long categories = scan.categories(i);
          if ((categories & Pagemap.PAGE_IS_PFNZERO) != 0) {
            continue; // read, never written; the shared zero page is not resident
          }
          long from = scan.start(i);
          long length = scan.end(i) - from;
          boolean written = (categories & Pagemap.PAGE_IS_FILE) == 0;
          if (kept + length > keep) {
            long take = keep - kept;
            if (written) {
              restore(slot, from - address, take);
            }
            resident[slot] = keep;
            return from + take - address;
          }
          if (written) {
            restore(slot, from - address, length);
          }
          kept += length;
        }
        long walkEnd = scan.walkEnd();
        if (walkEnd <= position) {
          return -1; // no progress: do not trust this scan
        }
        position = walkEnd;
      }
    } catch (RuntimeException e) {
      return -1;
    }
    resident[slot] = kept;
    return extent;
  }

  /** Copies the image back over {@code [offset, offset + length)} of the slot, or zeroes it. */
  private void restore(int slot, long offset, long length) {
    if (length == 0) {
      return;
    }
    MemorySegment target = MemorySegment.ofAddress(address(slot) + offset).reinterpret(length);
    long copied = 0;
    if (offset < imageBytes[slot]) {
      copied = Math.min(length, imageBytes[slot] - offset);
      MemorySegment.copy(imageContents[slot], offset, target, 0, copied);
    }
    if (copied < length) {
      target.asSlice(copied).fill((byte) 0);
    }
  }

  private static void noHugePages(long address, long length) {
    if (HUGE_PAGES_ALWAYS) {
      Libc.madvise(address, length, Libc.MADV_NOHUGEPAGE);
    }
  }

  private static boolean hugePagesAlways() {
    try {
      return java.nio.file.Files.readString(
              java.nio.file.Path.of("/sys/kernel/mm/transparent_hugepage/enabled"))
          .contains("[always]");
    } catch (java.io.IOException | RuntimeException e) {
      return true; // unknown: be safe
    }
  }
}
