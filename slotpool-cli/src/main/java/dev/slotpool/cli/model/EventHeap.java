package dev.slotpool.cli.model;

/**
 * A binary min-heap of (time, id) pairs in two primitive arrays, so the steady-state loop allocates
 * nothing per event. Ties in time go to no particular entry. Not thread-safe.
 */
public final class EventHeap {
  private final double[] time;
  private final int[] id;
  private int size;

  /** A heap for at most {@code capacity} entries. */
  public EventHeap(int capacity) {
    time = new double[capacity];
    id = new int[capacity];
  }

  public int size() {
    return size;
  }

  /** The earliest time; the heap must not be empty. */
  public double minTime() {
    return time[0];
  }

  /** The id of the earliest entry; the heap must not be empty. */
  public int minId() {
    return id[0];
  }

  public void push(double t, int value) {
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (time[parent] <= t) {
        break;
      }
      time[i] = time[parent];
      id[i] = id[parent];
      i = parent;
    }
    time[i] = t;
    id[i] = value;
  }

  /** Removes the earliest entry. */
  public void pop() {
    int last = --size;
    if (last == 0) {
      return;
    }
    double t = time[last];
    int value = id[last];
    int i = 0;
    while (true) {
      int child = 2 * i + 1;
      if (child >= last) {
        break;
      }
      if (child + 1 < last && time[child + 1] < time[child]) {
        child++;
      }
      if (time[child] >= t) {
        break;
      }
      time[i] = time[child];
      id[i] = id[child];
      i = child;
    }
    time[i] = t;
    id[i] = value;
  }
}
