package dev.slotpool.memory.internal;

import dev.slotpool.memory.NativeMemoryException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

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
   * Extent: residentEnd[s] bounds the pages a slot may have resident outside its accessible
   * range, so a reset, a clear or a decommit covers extent(s) = max(accessible[s],
   * residentEnd[s]). Pages a lease grew into stay resident after its reset; when the next lease
   * starts smaller, makeAccessible only takes their protection away (they are already pristine,
   * and nobody can write a PROT_NONE page), so growing again reuses them without a fault. When the
   * next lease has the same key (an affinity hit), they even stay read-write (keepTail): taking
   * the protection of resident pages away and giving it back made the next request touch each
   * of them at about the cost of a page fault on this kind of VM (a module growing 2 MiB per
   * request ran its work in 7.1 ms instead of 3.8 ms), and a same-key successor grows into them
   * again. accessible[s] may then exceed the lease's size; the lease's segments still end at its
   * size, and the pages beyond are pristine.
   *
   * Reset: with PAGEMAP_SCAN, the present or swapped pages of the extent are visited in address
   * order; written ones (neither file-backed nor the zero page) inside the accessible range are
   * copied back from the image or zeroed by hand (those beyond it were reset before they were
   * made inaccessible), clean file pages are left mapped, zero pages cost nothing, until
   * keepResidentBytes of resident pages have been kept; everything from that point on must be
   * decommitted. Without it, the first keepResidentBytes of the extent are kept: the accessible
   * part restored by hand, and the rest must be decommitted. Either way every written byte is
   * restored or dropped, and what stays resident is exactly resident[s].
   *
   * Without PAGEMAP_SCAN the resident pages are always a prefix: after a reset every page of
   * [0, residentEnd) is present (restored by hand now, or kept from an earlier reset) and none
   * beyond it, so resident[s] == residentEnd[s] is exact without asking the kernel.
   *
   * Counters: copiedBytes and zeroedBytes are LongAdders, as different slots reset concurrently.
   *
   * Invariants: pages at or beyond extent(s) are not resident and read as pristine; pages in
   * [accessible[s], extent(s)) read as pristine; a reset slot reads as its image (or zero)
   * everywhere.
   */

  private static final boolean HUGE_PAGES_ALWAYS = hugePagesAlways();
  private static final int ENOMEM = 12;
  private static final int RESERVE_RETRIES = 8;

  /** x86-64's user address space, 128 TiB: a reservation this large never fits, however freed. */
  private static final long ADDRESS_SPACE = 1L << 47;

  private final long base;
  private final long stride;
  private final long reservationBytes;
  private final Mapping reservation;
  private final long[] accessible;
  private final long[] residentEnd;
  private final long[] resident;
  private final LongAdder copiedBytes = new LongAdder();
  private final LongAdder zeroedBytes = new LongAdder();
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
    this.residentEnd = new long[slots];
    this.resident = new long[slots];
    this.imageContents = new MemorySegment[slots];
    this.imageBytes = new long[slots];
    this.base = reserve(reservationBytes);
    this.reservation = new Mapping(base, reservationBytes, -1);
    try {
      noHugePages(base, reservationBytes);
    } catch (RuntimeException e) {
      reservation.run();
      throw e;
    }
  }

  /**
   * Reserves {@code bytes} of inaccessible address space. Pools that nobody closed hold theirs
   * until the garbage collector finds them unreachable, and address space is not heap, so nothing
   * else makes it run: when the kernel has no room left ({@code ENOMEM}), this collects, gives the
   * cleaner a moment to unmap what it found, and tries again, as direct buffers do.
   */
  private static long reserve(long bytes) {
    int flags = Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE;
    for (int attempt = 0; ; attempt++) {
      try {
        return Libc.mmap(0, bytes, Libc.PROT_NONE, flags, -1, 0);
      } catch (NativeMemoryException e) {
        if (e.errno() != ENOMEM || attempt == RESERVE_RETRIES || bytes >= ADDRESS_SPACE) {
          throw e;
        }
      }
      System.gc();
      LockSupport.parkNanos(1_000_000L << attempt); // 1 + 2 + ... + 128 ms in all
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
    long extent = Math.max(extent(slot), imageBytes[slot]);
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
      residentEnd[slot] = 0;
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
   * Makes the first {@code bytes} (rounded up to a page) of the slot read-write and, unless {@code
   * keepTail}, the rest inaccessible. Pages it takes away stay resident (they must be pristine: it
   * shrinks only a reset slot), so that growing into them again costs no fault.
   *
   * @param keepTail leave read-write the pristine pages beyond {@code bytes} that an earlier lease
   *     of the same key grew into: that lease's successor will likely grow into them again, and
   *     taking their protection away and giving it back costs more than the request (see the
   *     notes); they stay pristine, and the lease's segments never reach them
   */
  public void makeAccessible(int slot, long bytes, boolean keepTail) {
    long page = Libc.pageSize();
    long want = (bytes + page - 1) & -page;
    long have = accessible[slot];
    long address = address(slot);
    if (want > have) {
      Libc.mprotect(address + have, want - have, Libc.PROT_READ | Libc.PROT_WRITE);
      accessible[slot] = want;
    } else if (want < have && !keepTail) {
      Libc.mprotect(address + want, have - want, Libc.PROT_NONE);
      // residentEnd already covers [want, have) if a page there is resident: the reset that made
      // those pages pristine set it.
      accessible[slot] = want;
    }
  }

  /**
   * Restores by hand what a reset keeps resident and returns the offset from which the rest of the
   * slot's extent must still be decommitted ({@link #decommitFrom}); sets {@link #resident}.
   *
   * @param keepResidentBytes the page-rounded budget of resident bytes to keep
   * @param scan whether to use PAGEMAP_SCAN (it falls back if the scan fails)
   * @param leaseBytes the most the lease had accessible: with PAGEMAP_SCAN, pages beyond it (a tail
   *     kept read-write for a same-key lease) are not restored again, as an earlier reset restored
   *     them and the lease's segments never reached them
   */
  public long reset(int slot, long keepResidentBytes, boolean scan, long leaseBytes) {
    long page = Libc.pageSize();
    long written = Math.min(accessible[slot], (leaseBytes + page - 1) & -page);
    long extent = extent(slot);
    residentEnd[slot] = extent; // until a decommit lowers it, a smaller lease keeps these pages
    long keep = Math.min(keepResidentBytes, extent);
    if (scan && keep > 0) {
      long cutoff = walk(slot, extent, keep, written);
      if (cutoff >= 0) {
        return cutoff;
      }
      // What is resident beyond the accessible range is unknown: keep none of it.
      keep = Math.min(keep, accessible[slot]);
    }
    // Not only `written`: restoring the whole kept prefix also makes it present, which the
    // prefix invariant (see the notes) relies on.
    restore(slot, 0, Math.min(keep, accessible[slot]));
    resident[slot] = keep;
    return keep;
  }

  /**
   * Lowers the resident bytes of a reset slot to at most {@code bytes} and returns the offset from
   * which its extent must be decommitted to get there ({@link #decommitFrom}); sets {@link
   * #resident}. Nothing is restored: a reset slot is pristine already.
   */
  public long trimTo(int slot, long bytes, boolean scan) {
    long extent = extent(slot);
    if (resident[slot] <= bytes) {
      return extent;
    }
    if (scan) {
      long cutoff = countScanned(slot, extent, bytes);
      if (cutoff >= 0) {
        return cutoff;
      }
      resident[slot] = 0; // unknown layout: drop it all
      return 0;
    }
    long page = Libc.pageSize();
    long cutoff = bytes & -page;
    resident[slot] = Math.min(cutoff, resident[slot]);
    return cutoff;
  }

  /** The accessible bytes of the slot. */
  public long accessible(int slot) {
    return accessible[slot];
  }

  /**
   * The end of what may be resident in the slot: at least its accessible bytes, more if an earlier
   * lease grew further and its pages stayed. The end of what {@link #reset} leaves to decommit.
   */
  public long extent(int slot) {
    return Math.max(accessible[slot], residentEnd[slot]);
  }

  /**
   * Records that the slot's pages from {@code offset} on are dropped (or about to be, by whoever
   * owns the slot until it is free): its extent shrinks to its accessible bytes or {@code offset}.
   */
  public void decommittedFrom(int slot, long offset) {
    residentEnd[slot] = Math.min(offset, extent(slot));
  }

  /** Drops the slot's pages from {@code offset} to the end of its extent, and records it. */
  public void decommitFrom(int slot, long offset) {
    long length = extent(slot) - offset;
    if (length > 0) {
      Libc.madvise(address(slot) + offset, length, Libc.MADV_DONTNEED);
    }
    decommittedFrom(slot, offset);
  }

  /**
   * Drops every page of a reset slot (its image, if any, stays mapped) and returns how many bytes
   * were resident.
   */
  public long decommitAll(int slot) {
    long was = resident[slot];
    decommitFrom(slot, 0);
    resident[slot] = 0;
    return was;
  }

  /** Bytes restored by copying from an image, in total. */
  public long copiedBytes() {
    return copiedBytes.sum();
  }

  /** Bytes restored by zero-filling, in total. */
  public long zeroedBytes() {
    return zeroedBytes.sum();
  }

  /** As a scanned reset ({@link #walk}) that restores nothing: the slot is reset already. */
  private long countScanned(int slot, long extent, long keep) {
    return walk(slot, extent, keep, 0);
  }

  /**
   * Visits the resident pages of {@code [0, extent)} in order, restoring the written ones below
   * {@code limit} (0: none), until {@code keep} bytes are kept; sets resident[slot] and returns the
   * decommit cutoff, or -1 if the scan failed (then nothing is recorded).
   */
  private long walk(int slot, long extent, long keep, long limit) {
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
          long from = scan.start(i) - address;
          long length = scan.end(i) - scan.start(i);
          boolean written = Pagemap.isWritten(categories);
          if (kept + length > keep) {
            long take = keep - kept;
            if (written) {
              restoreBelow(slot, from, take, limit);
            }
            resident[slot] = keep;
            return from + take;
          }
          if (written) {
            restoreBelow(slot, from, length, limit);
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

  /** Restores the part of {@code [offset, offset + length)} below {@code limit}. */
  private void restoreBelow(int slot, long offset, long length, long limit) {
    long end = Math.min(offset + length, limit);
    if (end > offset) {
      restore(slot, offset, end - offset);
    }
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
      copiedBytes.add(copied);
    }
    if (copied < length) {
      target.asSlice(copied).fill((byte) 0);
      zeroedBytes.add(length - copied);
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
