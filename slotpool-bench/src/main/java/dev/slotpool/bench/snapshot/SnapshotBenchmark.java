package dev.slotpool.bench.snapshot;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import dev.slotpool.bench.wasm.RealModules;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import dev.slotpool.testkit.quickjs.QuickJs;
import io.roastedroot.quickjs4j.core.JavyPluginModule;
import io.roastedroot.sqlite4j.SQLiteModule;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One request per instance on two real modules with build-time-compiled machines, from a pool with
 * the default settings, with and without a snapshot:
 *
 * <ul>
 *   <li>{@code quickJsInitThenRequest}: instantiate QuickJS (quickjs4j), create the engine's
 *       runtime and context, evaluate the prelude (which defines {@code render}) and compile the
 *       request's handler, then run the handler, close: what every request pays without a snapshot;
 *   <li>{@code quickJsSnapshotThenRequest}: instantiate from a snapshot taken after that init, run
 *       the same compiled handler (its bytecode is in the snapshot's memory), close;
 *   <li>{@code sqliteInitThenRequest}: instantiate SQLite (sqlite4j), open an in-memory database,
 *       create a table and an index, insert and update 500 rows, prepare the query, then step it
 *       and read its row, close;
 *   <li>{@code sqliteSnapshotThenRequest}: instantiate from a snapshot taken after that init, step
 *       the prepared query and read its row, close.
 * </ul>
 *
 * The request is the same in both arms of a pair, and gives the same result (checked at setup). The
 * requests of one thread share one WASI host, as a server's would (QuickJS's stdout, the result, is
 * cleared before each; building Chicory 1.7.5's WASI costs about as much as a light request); host
 * state is not part of a snapshot in any case. Run: {@code java -jar
 * slotpool-bench/target/benchmarks.jar SnapshotBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SnapshotBenchmark {
  static final String PRELUDE =
      """
      globalThis.templates = {};
      for (let i = 0; i < 50; i++) {
        templates['t' + i] = (name) => 'hello ' + name + ' from template ' + i;
      }
      globalThis.render = (id, name) => templates[id](name).toUpperCase();
      """;
  static final String REQUEST = "console.log(render('t7', 'world'), [3, 1, 2].sort().join());";

  /** QuickJS's requests: the testkit host's clock and random source, built once. */
  private static final Clock QUICKJS_CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  private static final Random QUICKJS_RANDOM = new Random(1);

  /** SQLite's requests write nothing: one set of options serves them all. */
  private static final WasiOptions SQLITE_OPTIONS = WasiOptions.builder().build();

  private WasmInstancePool pool;
  private QuickJs.Host host;
  private Consumer<Instance.Builder> quickJsImports;
  private WasmSnapshot quickJs;
  private QuickJs.Script handler;
  private Consumer<Instance.Builder> sqliteImports;
  private WasmSnapshot sqlite;
  private int statement;
  private PreparedModule<WasiOptions> quickJsPrepared;
  private PreparedModule<WasiOptions> sqlitePrepared;

  @Setup(Level.Trial)
  public void setUp() {
    pool = WasmInstancePool.builder().build();
    host = new QuickJs.Host();
    quickJsImports = host.customizer();
    quickJs = pool.snapshot(QuickJs.MODULE, quickJsImports, i -> handler = quickJsInit(i));
    sqliteImports = RealModules.get("sqlite").workCustomizer(SQLiteModule::create);
    sqlite = pool.snapshot(SqliteRequests.MODULE, sqliteImports, i -> statement = sqliteInit(i));
    quickJsPrepared =
        pool.prepare(
            quickJs,
            RealModules.get("quickjs").linker(),
            b -> b.withMachineFactory(JavyPluginModule::create));
    sqlitePrepared =
        pool.prepare(
            sqlite,
            RealModules.get("sqlite").linker(),
            b -> b.withMachineFactory(SQLiteModule::create));
    check(quickJsInitThenRequest(), quickJsSnapshotThenRequest(), "HELLO WORLD FROM TEMPLATE 7");
    check(quickJsInitThenRequest(), quickJsPreparedSnapshotThenRequest(), "HELLO WORLD");
    check(sqliteInitThenRequest(), sqliteSnapshotThenRequest(), SqliteRequests.EXPECTED);
    check(sqliteInitThenRequest(), sqlitePreparedSnapshotThenRequest(), SqliteRequests.EXPECTED);
  }

  private static void check(String viaInit, String viaSnapshot, String expected) {
    if (!viaInit.equals(viaSnapshot) || !viaInit.startsWith(expected)) {
      throw new IllegalStateException("results differ: '" + viaInit + "' vs '" + viaSnapshot + "'");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    quickJs.close();
    sqlite.close();
    pool.close();
    host.close();
  }

  private static QuickJs.Script quickJsInit(Instance instance) {
    QuickJs.init(PRELUDE).accept(instance);
    return QuickJs.compile(instance, REQUEST);
  }

  private static int sqliteInit(Instance instance) {
    return SqliteRequests.prepare(SqliteRequests.open(instance), instance);
  }

  @Benchmark
  public String quickJsInitThenRequest() {
    host.reset();
    try (PooledInstance pooled = pool.instantiate(QuickJs.MODULE, quickJsImports)) {
      QuickJs.run(pooled.instance(), quickJsInit(pooled.instance()));
      return host.stdout();
    }
  }

  @Benchmark
  public String quickJsSnapshotThenRequest() {
    host.reset();
    try (PooledInstance pooled = pool.instantiate(quickJs, quickJsImports)) {
      QuickJs.run(pooled.instance(), handler);
      return host.stdout();
    }
  }

  /**
   * As {@link #quickJsSnapshotThenRequest}, from the snapshot prepared ({@code pool.prepare(
   * snapshot, linker)}): the instance is recycled, WASI options per request.
   */
  @Benchmark
  public String quickJsPreparedSnapshotThenRequest() {
    var stdout = new ByteArrayOutputStream(64);
    var options =
        WasiOptions.builder()
            .withStdout(stdout)
            .withClock(QUICKJS_CLOCK)
            .withRandom(QUICKJS_RANDOM)
            .build();
    try (PooledInstance pooled = quickJsPrepared.instantiate(options)) {
      QuickJs.run(pooled.instance(), handler);
    }
    return stdout.toString(StandardCharsets.UTF_8);
  }

  /** As {@link #sqliteSnapshotThenRequest}, from the snapshot prepared. */
  @Benchmark
  public String sqlitePreparedSnapshotThenRequest() {
    try (PooledInstance pooled = sqlitePrepared.instantiate(SQLITE_OPTIONS)) {
      return SqliteRequests.query(pooled.instance(), statement);
    }
  }

  @Benchmark
  public String sqliteInitThenRequest() {
    try (PooledInstance pooled = pool.instantiate(SqliteRequests.MODULE, sqliteImports)) {
      return SqliteRequests.query(pooled.instance(), sqliteInit(pooled.instance()));
    }
  }

  @Benchmark
  public String sqliteSnapshotThenRequest() {
    try (PooledInstance pooled = pool.instantiate(sqlite, sqliteImports)) {
      return SqliteRequests.query(pooled.instance(), statement);
    }
  }
}
