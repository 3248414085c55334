package dev.slotpool.chicory.internal;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.ValType;

/**
 * A table of a recyclable instance: limits of its own (as {@link PrivateTables} gives every pooled
 * instance), and a record of whether anything changed it since {@link #capture()}, so that
 * recycling the instance restores only the tables a request wrote, and knows which it cannot
 * restore (grown ones: a Chicory table does not shrink).
 *
 * <p>Not thread-safe, like the table it extends: one call at a time runs in an instance.
 */
public final class TrackedTable extends TableInstance {
  /** Builds each table as {@link PrivateTables#FACTORY} does, tracked. */
  public static final TableFactory FACTORY =
      (table, initValue) -> of(table, table.limits().min(), initValue);

  private int[] initialRefs;
  private Instance[] initialInstances;
  private boolean changed;

  private TrackedTable(Table table, int initValue) {
    super(table, initValue);
  }

  /** A tracked table of {@code table}'s type with its own limits, {@code size} entries long. */
  public static TrackedTable of(Table table, long size, int initValue) {
    return new TrackedTable(PrivateTables.copy(table, size), initValue);
  }

  /** Whether the table holds function references, the only kind a recycled instance restores. */
  public boolean holdsFunctions() {
    return elementType().equals(ValType.FuncRef);
  }

  /** Records the current entries as the ones {@link #restore()} brings back. */
  public void capture() {
    int size = size();
    initialRefs = new int[size];
    initialInstances = new Instance[size];
    for (int i = 0; i < size; i++) {
      initialRefs[i] = ref(i);
      initialInstances[i] = instance(i);
    }
    changed = false;
  }

  /**
   * Brings back the entries of {@link #capture()} if anything changed them.
   *
   * @return false if the table grew since, so it cannot be restored (nothing is changed then)
   */
  public boolean restore() {
    if (!changed) {
      return true;
    }
    if (size() != initialRefs.length) {
      return false;
    }
    for (int i = 0; i < initialRefs.length; i++) {
      super.setRef(i, initialRefs[i], initialInstances[i]);
    }
    changed = false;
    return true;
  }

  @Override
  public int grow(int size, int value, Instance instance) {
    changed = true;
    return super.grow(size, value, instance);
  }

  @Override
  public void setRef(int index, int value, Instance instance) {
    changed = true;
    super.setRef(index, value, instance);
  }

  @Override
  public void reset() {
    changed = true;
    super.reset();
  }

  // The methods below exist in Endive's TableInstance only; its generated sources uncomment them.
  // endive: @Override
  // endive: public int growWithRef(int size, Object value, Instance instance) {
  // endive:   changed = true;
  // endive:   return super.growWithRef(size, value, instance);
  // endive: }
  // endive:
  // endive: @Override
  // endive: public void setObjRef(int index, Object value, Instance instance) {
  // endive:   changed = true;
  // endive:   super.setObjRef(index, value, instance);
  // endive: }
}
