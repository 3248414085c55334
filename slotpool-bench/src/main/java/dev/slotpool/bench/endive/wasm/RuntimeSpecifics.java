package dev.slotpool.bench.endive.wasm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import java.util.function.Function;
import run.endive.compiler.MachineFactoryCompiler;
import run.endive.runtime.Instance;
import run.endive.runtime.Machine;
import run.endive.wasm.WasmModule;

/**
 * What the corpus does differently on Endive: no library modules, and a compiler that runs only on
 * the Endive release it was published with.
 *
 * <p>The Chicory corpus's QuickJS and SQLite come from artifacts whose code is a machine compiled
 * for Chicory at build time ({@code io.roastedroot:quickjs4j:0.0.17}, {@code
 * io.roastedroot:sqlite4j:3.50.4.1}); their {@code .meta} modules have no code bodies an Endive
 * interpreter could run instead. quickjs4j 0.1.0 is built for Endive, but its classes have the
 * names of 0.0.17's, which the Chicory benchmarks in the same jar need; sqlite4j has no Endive
 * build.
 *
 * <p>Endive's runtime compiler ({@code run.endive:compiler}) is on Maven Central only at 1.0.0, and
 * fails on the modules of Endive 1.2.0's parser: {@link #compile} refuses to run it unless the
 * runtime on the class path is the compiler's own release, which the build's {@code
 * endive-compiler} profile puts there ({@code ./mvnw -B package -pl slotpool-bench -am -DskipTests
 * -Pendive-compiler}).
 *
 * <p>This is the one hand-written file of {@code dev.slotpool.bench.endive.wasm}: every other class
 * of the package is generated at build time from {@code dev.slotpool.bench.wasm} (see
 * slotpool-bench's pom), with the Chicory {@code RuntimeSpecifics} left out.
 *
 * <p>Thread-safe: stateless.
 */
final class RuntimeSpecifics {
  private RuntimeSpecifics() {}

  /** The library modules the catalog appends after its programs: none on Endive. */
  static List<RealModule> libraryModules() {
    return List.of();
  }

  /**
   * Compiles {@code module} (the corpus's module {@code name}) with Endive's runtime compiler.
   *
   * @throws UnsupportedOperationException if the compiler and the runtime on the class path are not
   *     one Endive release, naming both versions
   */
  static Function<Instance, Machine> compile(String name, WasmModule module) {
    String compiler = version("compiler");
    String runtime = version("runtime");
    if (compiler == null || !compiler.equals(runtime)) {
      throw new UnsupportedOperationException(
          name
              + ": engine COMPILER needs run.endive:compiler and run.endive:runtime of one release"
              + " (class path: compiler "
              + compiler
              + ", runtime "
              + runtime
              + "; expected: build the benchmarks with -Pendive-compiler, or engine INTERPRETER)");
    }
    return MachineFactoryCompiler.compile(module);
  }

  /** The version of the Endive artifact {@code artifactId} on the class path, or null. */
  static String version(String artifactId) {
    String path = "/META-INF/maven/run.endive/" + artifactId + "/pom.properties";
    try (InputStream in = RuntimeSpecifics.class.getResourceAsStream(path)) {
      if (in == null) {
        return null;
      }
      var properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
