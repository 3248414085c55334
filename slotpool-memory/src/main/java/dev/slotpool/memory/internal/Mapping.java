package dev.slotpool.memory.internal;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A native mapping, and optionally a file descriptor, released exactly once: by an explicit {@link
 * #run()} or, if its owner becomes unreachable first, by the shared {@link Cleaner}.
 *
 * <p>Thread-safe. It must not refer to its owner, or the owner would never become unreachable.
 */
public final class Mapping implements Runnable {
  /** The cleaner shared by the memory layer's native resources (one daemon thread). */
  public static final Cleaner CLEANER = Cleaner.create();

  private final long address;
  private final long length;
  private final int fd;
  private final AtomicBoolean released = new AtomicBoolean();

  /**
   * Describes what to release.
   *
   * @param address the mapping's start, or 0 for no mapping
   * @param length its length, or 0 for no mapping
   * @param fd a file descriptor to close, or -1
   */
  public Mapping(long address, long length, int fd) {
    this.address = address;
    this.length = length;
    this.fd = fd;
  }

  /** The mapping's start. */
  public long address() {
    return address;
  }

  /** The mapping's length. */
  public long length() {
    return length;
  }

  /** Whether {@link #run()} has happened. */
  public boolean isReleased() {
    return released.get();
  }

  /** Unmaps the mapping and closes the descriptor, the first time only. */
  @Override
  public void run() {
    if (!released.compareAndSet(false, true)) {
      return;
    }
    try {
      if (length > 0) {
        Libc.munmap(address, length);
      }
    } finally {
      if (fd >= 0) {
        Libc.close(fd);
      }
    }
  }
}
