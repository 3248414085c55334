package dev.slotpool.cli.bench;

import dev.slotpool.memory.PoolStats;
import java.time.Duration;
import java.util.List;

/**
 * The per-request comparison of {@code slotpool bench wasm} for one runtime: instantiate + the
 * module's entry point + close, on the runtime's own memory and on pools. {@link ChicoryWasmBench}
 * is the implementation for Chicory; the one for Endive is generated from it at build time (see
 * this module's pom).
 *
 * <p>Every request's output (stdout, stderr, exit code, the export's result) is compared byte for
 * byte with the first plain request's: a difference throws {@link OutputMismatchException}.
 *
 * <p>Not thread-safe.
 */
public interface WasmRequestBench {
  /** The case of the runtime's own memory. */
  String PLAIN = "wasm/plain";

  /** The case of {@code WasmInstancePool.builder().build()}: a warm hit on the module's slot. */
  String POOL_DEFAULT = "wasm/pool-default";

  /**
   * The case of the module prepared in a default pool ({@code pool.prepare(module,
   * Linker.wasi())}): a warm slot and the instance parked with it, reset for the request.
   */
  String PREPARED = "wasm/prepared";

  /** The case of the hand-tuned fixed pool: {@link #FIXED_KEEP_RESIDENT} kept per slot. */
  String POOL_FIXED = "wasm/pool-fixed-keep-resident";

  /**
   * The case of a one-slot default pool taken by two copies of the module in turn: every request
   * evicts the other copy's state and maps the image afresh.
   */
  String POOL_EVICT = "wasm/pool-evict";

  /** What the fixed pool keeps resident per slot (Wasmtime's keep-resident knob). */
  long FIXED_KEEP_RESIDENT = 32L << 20;

  /**
   * Runs one plain request and describes it, such as {@code add(2, 3) = [5]} or {@code _start: exit
   * 0, 52 bytes on stdout, 0 on stderr}; later requests must give the same output.
   */
  String tryOnce();

  /** What the first request wrote to stdout (empty without WASI). */
  byte[] firstStdout();

  /**
   * Times every case, each after a warm-up, in the order {@link #PLAIN}, {@link #POOL_DEFAULT},
   * {@link #PREPARED}, {@link #POOL_FIXED}, {@link #POOL_EVICT}; rows of (case, ns per request,
   * requests). A module whose instances a prepared module cannot recycle has its {@link #PREPARED}
   * request run once, not timed: its row's ns and requests are empty, and {@link
   * #preparedRecycling()} says why.
   *
   * @throws OutputMismatchException if a pooled request's output differs from the plain one's
   */
  List<String[]> measureAll(Duration warmup, Duration measurement);

  /** The default pool's statistics after its case ran, or null before. */
  PoolStats defaultPoolStats();

  /** How the prepared case's instantiations got their instances, or null before it ran. */
  Recycling preparedRecycling();

  /** The module's largest initial memory, in bytes. */
  long initialMemoryBytes();
}
