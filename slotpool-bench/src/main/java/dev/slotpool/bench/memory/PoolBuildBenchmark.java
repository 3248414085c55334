package dev.slotpool.bench.memory;

import dev.slotpool.chicory.WasmInstancePool;
import dev.slotpool.memory.MemoryPool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a pool with every setting left at its default costs to build and close, with nothing ever
 * allocated from it: the reservation of {@code slots * (maxMemoryBytes + guardBytes)} bytes of
 * address space, the per-slot bookkeeping, and the unmap. This is what the defaults' sizes cost a
 * service that builds a pool at start-up, and a test suite that builds hundreds.
 *
 * <ul>
 *   <li>{@code memoryPoolDefaults}: {@code MemoryPool.builder().build()}, then {@code close()};
 *   <li>{@code wasmInstancePoolDefaults}: {@code WasmInstancePool.builder().build()}, then {@code
 *       close()}.
 * </ul>
 *
 * <p>Run:
 *
 * <pre>
 * ./mvnw -B -q -pl slotpool-bench -am package -DskipTests
 * java -jar slotpool-bench/target/benchmarks.jar PoolBuildBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PoolBuildBenchmark {

  @Benchmark
  public long memoryPoolDefaults() {
    try (MemoryPool pool = MemoryPool.builder().build()) {
      return pool.maxMemoryBytes();
    }
  }

  @Benchmark
  public long wasmInstancePoolDefaults() {
    try (WasmInstancePool pool = WasmInstancePool.builder().build()) {
      return pool.maxMemoryBytes();
    }
  }
}
