package dev.slotpool.bench.snapshot;

import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.chicory.WasmSnapshot;
import java.util.concurrent.TimeUnit;
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
 * One JavaScript request per instance on QuickJS (quickjs4j's build-time-compiled module), from a
 * pool with the default settings:
 *
 * <ul>
 *   <li>{@code initThenRequest}: instantiate, create the engine's runtime and context, evaluate the
 *       prelude, then the request, close: what every request pays without a snapshot;
 *   <li>{@code snapshotThenRequest}: instantiate from a snapshot taken after the engine's init and
 *       the prelude, evaluate the same request, close.
 * </ul>
 *
 * Both print the same line (checked at setup). Run: {@code java -jar
 * slotpool-bench/target/benchmarks.jar SnapshotBenchmark -f 1 -wi 2 -i 3}
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

  private WasmInstancePool pool;
  private WasmSnapshot snapshot;

  @Setup(Level.Trial)
  public void setUp() {
    pool = WasmInstancePool.builder().build();
    try (var host = new QuickJs.Host()) {
      snapshot = pool.snapshot(QuickJs.MODULE, host.customizer(), QuickJs.init(PRELUDE));
    }
    String viaInit = initThenRequest();
    String viaSnapshot = snapshotThenRequest();
    if (!viaInit.equals(viaSnapshot) || !viaInit.startsWith("HELLO WORLD FROM TEMPLATE 7")) {
      throw new IllegalStateException("results differ: '" + viaInit + "' vs '" + viaSnapshot + "'");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    snapshot.close();
    pool.close();
  }

  @Benchmark
  public String initThenRequest() {
    try (var host = new QuickJs.Host();
        PooledInstance pooled = pool.instantiate(QuickJs.MODULE, host.customizer())) {
      QuickJs.init(PRELUDE).accept(pooled.instance());
      QuickJs.eval(pooled.instance(), REQUEST);
      return host.stdout();
    }
  }

  @Benchmark
  public String snapshotThenRequest() {
    try (var host = new QuickJs.Host();
        PooledInstance pooled = pool.instantiate(snapshot, host.customizer())) {
      QuickJs.eval(pooled.instance(), REQUEST);
      return host.stdout();
    }
  }
}
