package dev.slotpool.memory.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pool-wide bound on the bytes that unused (warm) slots keep resident, and the order in which
 * they give them up: the least recently released first.
 *
 * <p>A release {@linkplain #reserve reserves} room for what its reset left resident; if that would
 * exceed the budget, the coldest warm slots are decommitted (by the {@link Decommitter}, on the
 * releasing thread) until it fits, and if even that is not enough the releasing slot is told how
 * much of its own it may keep. The slot is then {@linkplain #list listed} as the warmest when it is
 * free again. An allocation {@linkplain #claim claims} its slot first: off the list, waiting if a
 * release is decommitting it at that moment.
 *
 * <p>Thread-safe: every method is atomic; the decommit of a victim runs outside the lock, and the
 * victim's new owner waits for it in {@code claim}, so the decommit happens-before the owner's
 * first access.
 */
public final class ResidentBudget {
  /*
   * Implementation notes.
   *
   * Layout: a doubly linked list of the listed slots through int arrays (prev/next, NIL = -1),
   * head = the least recently listed. Each slot is in one state: OFF (not counted: in use, or
   * warm with nothing resident), RESERVED (counted, being released), LISTED (counted, warm, on
   * the list) or DECOMMITTING (taken off the list by a release that is dropping its pages).
   * Every operation is O(1) apart from the victims a reserve decommits, each O(1) here.
   *
   * The index allocator's own lists are left alone: a victim stays warm there, with its affinity,
   * its place in the eviction order and its image mapping; only its pages go, so its next lease
   * faults them in again. So the allocator's order is preserved exactly, and no lock is held
   * while madvise runs: a victim's new owner (an allocation, a purge) blocks in claim until the
   * decommit is done, which is rare (the victim is the coldest warm slot) and short (one
   * madvise).
   *
   * Invariants: total == the sum of bytes[s] over RESERVED and LISTED slots; total <= budget
   * whenever no reserve is between its decisions (a reserve never lets total exceed it); the
   * list holds exactly the LISTED slots, each with bytes[s] > 0.
   */

  /** Drops every page of a warm slot and returns the bytes that were resident. */
  @FunctionalInterface
  public interface Decommitter {
    /** Called on the releasing thread with no lock held; the slot is exclusively the caller's. */
    long decommit(int slot);
  }

  private static final long PAGE = Libc.pageSize();
  private static final int NIL = -1;
  private static final byte OFF = 0;
  private static final byte RESERVED = 1;
  private static final byte LISTED = 2;
  private static final byte DECOMMITTING = 3;

  private final long budget;
  private final byte[] state;
  private final long[] bytes;
  private final int[] prev;
  private final int[] next;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition decommitted = lock.newCondition();
  private int head = NIL;
  private int tail = NIL;
  private long total;
  private long decommits;
  private long decommitBytes;

  /** Creates an empty budget of {@code budgetBytes} over {@code slots} slots. */
  public ResidentBudget(int slots, long budgetBytes) {
    this.budget = budgetBytes;
    this.state = new byte[slots];
    this.bytes = new long[slots];
    this.prev = new int[slots];
    this.next = new int[slots];
  }

  /**
   * The default budget: a sixteenth of the memory this process may use (the smaller of {@code
   * MemTotal} in {@code /proc/meminfo} and the cgroup's {@code memory.max}), or 1 GiB if neither
   * can be read, and never more than {@code ceiling} (what the slots could keep at most).
   */
  public static long defaultBudget(long ceiling) {
    long machine = Math.min(memTotal(), cgroupLimit());
    long share = machine == Long.MAX_VALUE ? 1L << 30 : machine / 16;
    return Math.min(ceiling, share);
  }

  private static long memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          String[] fields = line.trim().split("\\s+");
          return Math.multiplyExact(Long.parseLong(fields[1]), 1024L);
        }
      }
    } catch (IOException | RuntimeException e) {
      // unknown
    }
    return Long.MAX_VALUE;
  }

  private static long cgroupLimit() {
    try {
      String value = Files.readString(Path.of("/sys/fs/cgroup/memory.max")).trim();
      return value.equals("max") ? Long.MAX_VALUE : Long.parseLong(value);
    } catch (IOException | RuntimeException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The budget in bytes. */
  public long budgetBytes() {
    return budget;
  }

  /**
   * Reserves room for {@code resident} bytes of a releasing slot, decommitting the coldest listed
   * slots as needed, and returns how many of them the slot may keep: {@code resident}, or less (a
   * whole number of pages, possibly 0) if the budget is smaller than what the other reserved slots
   * already hold.
   *
   * @param slot a slot the caller owns, in use until now
   */
  public long reserve(int slot, long resident, Decommitter decommitter) {
    while (true) {
      int victim;
      lock.lock();
      try {
        if (total + resident <= budget || head == NIL) {
          // Pages are kept whole: a partial allowance is rounded down to a page.
          long allowed = Math.min(resident, Math.max(0, budget - total) & -PAGE);
          total += allowed;
          bytes[slot] = allowed;
          state[slot] = RESERVED;
          return allowed;
        }
        victim = head;
        unlink(victim);
        total -= bytes[victim];
        state[victim] = DECOMMITTING;
      } finally {
        lock.unlock();
      }
      long dropped = 0;
      try {
        dropped = decommitter.decommit(victim);
      } finally {
        lock.lock();
        try {
          bytes[victim] = 0;
          state[victim] = OFF;
          decommits++;
          decommitBytes += dropped;
          decommitted.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /**
   * Lists a slot that is becoming free with {@code resident} bytes (at most what it reserved, or
   * anything for a slot that reserved nothing) as the warmest; 0 just stops counting it.
   */
  public void list(int slot, long resident) {
    lock.lock();
    try {
      if (state[slot] == LISTED) {
        unlink(slot);
      }
      total += resident - bytes[slot];
      bytes[slot] = resident;
      if (resident > 0) {
        state[slot] = LISTED;
        append(slot);
      } else {
        state[slot] = OFF;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes a slot that the caller now owns off the list (its bytes no longer count), waiting while a
   * release decommits it.
   */
  public void claim(int slot) {
    lock.lock();
    try {
      while (state[slot] == DECOMMITTING) {
        decommitted.awaitUninterruptibly();
      }
      if (state[slot] == LISTED) {
        unlink(slot);
      }
      total -= bytes[slot];
      bytes[slot] = 0;
      state[slot] = OFF;
    } finally {
      lock.unlock();
    }
  }

  /** The bytes counted now: warm slots' resident bytes plus those reserved by releases. */
  public long residentBytes() {
    lock.lock();
    try {
      return total;
    } finally {
      lock.unlock();
    }
  }

  /** Warm slots decommitted to stay within the budget, in total. */
  public long decommits() {
    lock.lock();
    try {
      return decommits;
    } finally {
      lock.unlock();
    }
  }

  /** The bytes those decommits dropped, in total. */
  public long decommitBytes() {
    lock.lock();
    try {
      return decommitBytes;
    } finally {
      lock.unlock();
    }
  }

  private void append(int slot) {
    prev[slot] = tail;
    next[slot] = NIL;
    if (tail == NIL) {
      head = slot;
    } else {
      next[tail] = slot;
    }
    tail = slot;
  }

  private void unlink(int slot) {
    int p = prev[slot];
    int n = next[slot];
    if (p == NIL) {
      head = n;
    } else {
      next[p] = n;
    }
    if (n == NIL) {
      tail = p;
    } else {
      prev[n] = p;
    }
  }

  // ---- test support ----

  /** The listed slots, coldest first. O(slots). */
  int[] listed() {
    lock.lock();
    try {
      int count = 0;
      for (int s = head; s != NIL; s = next[s]) {
        count++;
      }
      int[] out = new int[count];
      int i = 0;
      for (int s = head; s != NIL; s = next[s]) {
        out[i++] = s;
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Checks the invariants in the implementation notes. O(slots). */
  void checkInvariants() {
    lock.lock();
    try {
      long sum = 0;
      int onList = 0;
      int prevSlot = NIL;
      for (int s = head; s != NIL; s = next[s]) {
        check(state[s] == LISTED, "slot " + s + " on the list is not listed");
        check(prev[s] == prevSlot, "slot " + s + ": prev " + prev[s] + ", expected " + prevSlot);
        check(bytes[s] > 0, "listed slot " + s + " has no bytes");
        check(++onList <= state.length, "the list has a cycle");
        prevSlot = s;
      }
      check(tail == prevSlot, "tail " + tail + ", expected " + prevSlot);
      int listedCount = 0;
      for (int s = 0; s < state.length; s++) {
        if (state[s] == LISTED || state[s] == RESERVED) {
          sum += bytes[s];
        }
        listedCount += state[s] == LISTED ? 1 : 0;
      }
      check(listedCount == onList, listedCount + " listed slots, " + onList + " on the list");
      check(sum == total, "total " + total + ", slots hold " + sum);
      check(total <= budget, "total " + total + " exceeds the budget " + budget);
    } finally {
      lock.unlock();
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }
}
