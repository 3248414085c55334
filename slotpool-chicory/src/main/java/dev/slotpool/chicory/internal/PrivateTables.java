package dev.slotpool.chicory.internal;

import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;

/**
 * Tables whose limits belong to the instance alone. Chicory's {@code TableInstance.grow} also grows
 * the {@link TableLimits} of the {@link Table} it was built from, and by default that is the parsed
 * module's own: since the pool asks users to instantiate one parsed module for every request, one
 * request's {@code table.grow} would make every later instance of the module start bigger (and, at
 * the table's maximum, make {@code table.grow} fail for everyone). Every instance the pool builds,
 * from a module or from a snapshot, gets its tables from here or from a factory that copies the
 * same way.
 *
 * <p>Stateless and thread-safe.
 */
public final class PrivateTables {
  /** Builds each table from a private copy of its type: the module's limits never change. */
  public static final TableFactory FACTORY =
      (table, initValue) -> new TableInstance(copy(table, table.limits().min()), initValue);

  private PrivateTables() {}

  /** {@code table}'s type with its own limits, starting at {@code initialSize} elements. */
  public static Table copy(Table table, long initialSize) {
    TableLimits limits = table.limits();
    return new Table(
        table.elementType(),
        new TableLimits(initialSize, limits.max(), limits.shared()),
        table.initialize());
  }
}
