package dev.slotpool.bench.wasm;

import static dev.slotpool.bench.wasm.SqliteCalls.cString;
import static dev.slotpool.bench.wasm.SqliteCalls.call;
import static dev.slotpool.bench.wasm.SqliteCalls.check;
import static dev.slotpool.bench.wasm.SqliteCalls.malloc;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.nio.charset.StandardCharsets;

/**
 * The requests of the two library modules, QuickJS and SQLite, written against their exports as
 * quickjs4j and sqlite4j call them.
 *
 * <p>Stateless and thread-safe; each call works on the instance it is given.
 */
final class LibraryRequests {
  /** The script QuickJS compiles and runs in each request. */
  static final String SCRIPT =
      """
      function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
      const items = [];
      for (let i = 0; i < 200; i++) items.push({ id: i, name: "item " + i, price: (i * 7) % 100 });
      const total = items.filter(x => x.price > 50).reduce((s, x) => s + x.price, 0);
      const top = items.map(x => x.price).sort((a, b) => a - b).slice(-3);
      const text = JSON.stringify(items.slice(0, 20));
      const back = JSON.parse(text).map(x => x.name.toUpperCase()).join(",");
      console.log(JSON.stringify({ fib: fib(15), total, top, length: text.length, back: back.length }));
      """;

  /** The statements SQLite runs in each request, on a fresh in-memory database. */
  static final String SCHEMA =
      """
      CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER, tag TEXT);
      CREATE INDEX item_tag ON item(tag);
      WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 500)
        INSERT INTO item SELECT x, printf('item %d', x), x * 7 % 1000, 't' || (x % 13) FROM n;
      UPDATE item SET price = price + 1 WHERE tag = 't3';
      DELETE FROM item WHERE id % 50 = 0;
      """;

  /** The query whose one row is the SQLite request's result. */
  static final String QUERY =
      "SELECT count(*), sum(price), sum(length(name)), count(DISTINCT tag) FROM item"
          + " WHERE name LIKE '%1%' AND price > 100";

  private static final int SQLITE_ROW = 100;

  private LibraryRequests() {}

  /** Initializes the QuickJS runtime, compiles {@link #SCRIPT} to bytecode and runs it. */
  static byte[] quickjs(Instance instance) {
    Memory memory = instance.memory();
    instance.export("initialize_runtime").apply();
    byte[] js = SCRIPT.getBytes(StandardCharsets.UTF_8);
    ExportFunction realloc = instance.export("canonical_abi_realloc");
    int src = (int) realloc.apply(0, 0, 1, js.length)[0];
    memory.write(src, js);
    int compiled = (int) instance.export("compileSrc").apply(src, js.length)[0];
    int code = memory.readInt(compiled);
    int codeLength = memory.readInt(compiled + 4);
    instance.export("invoke").apply(code, codeLength, 0, 0);
    return new byte[0];
  }

  /** Opens an in-memory database, runs {@link #SCHEMA}, then {@link #QUERY}, and closes it. */
  static byte[] sqlite(Instance instance) {
    Memory memory = instance.memory();
    int slot = malloc(instance, 8);
    int path = cString(instance, ":memory:");
    int schema = cString(instance, SCHEMA);
    int query = cString(instance, QUERY);
    check(instance, 0, call(instance, "sqlite3_open", path, slot));
    int db = memory.readInt(slot);
    check(instance, db, call(instance, "sqlite3_exec", db, schema, 0, 0, 0));
    check(instance, db, call(instance, "sqlite3_prepare_v2", db, query, -1, slot, 0));
    int stmt = memory.readInt(slot);
    if (call(instance, "sqlite3_step", stmt) != SQLITE_ROW) {
      throw new IllegalStateException("sqlite: the query returned no row");
    }
    var row = new StringBuilder();
    for (int column = 0; column < 4; column++) {
      row.append(column == 0 ? "" : "|")
          .append(instance.export("sqlite3_column_int64").apply(stmt, column)[0]);
    }
    check(instance, db, call(instance, "sqlite3_finalize", stmt));
    check(instance, 0, call(instance, "sqlite3_close", db));
    for (int p : new int[] {slot, path, schema, query}) {
      instance.export("free").apply(p);
    }
    return row.append('\n').toString().getBytes(StandardCharsets.US_ASCII);
  }
}
