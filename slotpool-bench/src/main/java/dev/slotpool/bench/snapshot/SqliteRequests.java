package dev.slotpool.bench.snapshot;

import static dev.slotpool.bench.wasm.SqliteCalls.cString;
import static dev.slotpool.bench.wasm.SqliteCalls.call;
import static dev.slotpool.bench.wasm.SqliteCalls.check;
import static dev.slotpool.bench.wasm.SqliteCalls.malloc;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.bench.wasm.RealModules;

/**
 * SQLite (sqlite4j's module) driven through its C API exports, split as a server would split it:
 * {@link #open} and {@link #prepare} once (the init a snapshot captures), {@link #query} per
 * request.
 *
 * <p>Stateless and thread-safe; each call works on the instance it is given.
 */
final class SqliteRequests {
  /** The parsed module, shared with the real-module benchmarks so that the pool sees one module. */
  static final WasmModule MODULE = RealModules.get("sqlite").module();

  /** The schema and rows the init creates in a fresh in-memory database. */
  static final String SCHEMA =
      """
      CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER, tag TEXT);
      CREATE INDEX item_tag ON item(tag);
      WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 500)
        INSERT INTO item SELECT x, printf('item %d', x), x * 7 % 1000, 't' || (x % 13) FROM n;
      UPDATE item SET price = price + 1 WHERE tag = 't3';
      """;

  /** The request: one row of aggregates over an index lookup. */
  static final String QUERY =
      "SELECT count(*), sum(price), min(name), max(id) FROM item WHERE tag = 't3' AND price > 100";

  /** The row {@link #QUERY} gives on {@link #SCHEMA}'s data. */
  static final String EXPECTED = "35|17195|item 107|497";

  private static final int SQLITE_ROW = 100;

  private SqliteRequests() {}

  /** Opens an in-memory database and runs {@link #SCHEMA}; returns the database handle. */
  static int open(Instance instance) {
    int slot = malloc(instance, 4);
    int path = cString(instance, ":memory:");
    check(instance, 0, call(instance, "sqlite3_open", path, slot));
    int db = instance.memory().readInt(slot);
    int schema = cString(instance, SCHEMA);
    check(instance, db, call(instance, "sqlite3_exec", db, schema, 0, 0, 0));
    for (int p : new int[] {slot, path, schema}) {
      instance.export("free").apply(p);
    }
    return db;
  }

  /** Prepares {@link #QUERY} on {@code db}; returns the statement handle. */
  static int prepare(int db, Instance instance) {
    int slot = malloc(instance, 4);
    int query = cString(instance, QUERY);
    check(instance, db, call(instance, "sqlite3_prepare_v2", db, query, -1, slot, 0));
    int statement = instance.memory().readInt(slot);
    instance.export("free").apply(slot);
    instance.export("free").apply(query);
    return statement;
  }

  /** Steps the prepared statement, reads its row as {@code a|b|c|d}, and resets it. */
  static String query(Instance instance, int statement) {
    if (call(instance, "sqlite3_step", statement) != SQLITE_ROW) {
      throw new IllegalStateException("sqlite: the query returned no row");
    }
    Memory memory = instance.memory();
    var row = new StringBuilder();
    row.append(instance.export("sqlite3_column_int64").apply(statement, 0)[0]);
    row.append('|').append(instance.export("sqlite3_column_int64").apply(statement, 1)[0]);
    row.append('|').append(memory.readCString(call(instance, "sqlite3_column_text", statement, 2)));
    row.append('|').append(instance.export("sqlite3_column_int64").apply(statement, 3)[0]);
    check(instance, 0, call(instance, "sqlite3_reset", statement));
    return row.toString();
  }
}
