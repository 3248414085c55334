package dev.slotpool.bench.wasm;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import io.roastedroot.quickjs4j.core.JavyPluginModule;
import io.roastedroot.sqlite4j.SQLiteModule;
import java.util.List;
import java.util.function.Function;

/**
 * What the corpus does differently on each runtime, in one file: the library modules, whose
 * artifacts ship a machine compiled for one runtime at build time, and the runtime compiler.
 *
 * <p>On Chicory the libraries are QuickJS ({@code io.roastedroot:quickjs4j:0.0.17}) and SQLite
 * ({@code io.roastedroot:sqlite4j:3.50.4.1}): their {@code .meta} modules carry no code the
 * interpreter can run, so they run under {@link Engine#COMPILER} only. The compiler is Chicory's
 * {@code MachineFactoryCompiler}.
 *
 * <p>The Endive benchmarks, generated from this package at build time (see slotpool-bench's pom),
 * have their own version of this file.
 *
 * <p>Thread-safe: stateless.
 */
final class RuntimeSpecifics {
  private RuntimeSpecifics() {}

  /** The library modules, in the corpus's order; the catalog appends them after its programs. */
  static List<RealModule> libraryModules() {
    return List.of(
        RealModule.builder(
                "quickjs", "JavaScript: QuickJS via Javy, Rust + C", JavyPluginModule::load)
            .buildTimeMachine(JavyPluginModule::create)
            .body(LibraryRequests::quickjs)
            .build(),
        RealModule.builder("sqlite", "C: SQLite 3.50.4, wasi-sdk", SQLiteModule::load)
            .buildTimeMachine(SQLiteModule::create)
            .body(LibraryRequests::sqlite)
            .work(i -> java.util.Arrays.hashCode(LibraryRequests.sqlite(i)))
            .build());
  }

  /** Compiles {@code module} (the corpus's module {@code name}) to Java bytecode, once. */
  static Function<Instance, Machine> compile(String name, WasmModule module) {
    return MachineFactoryCompiler.compile(module);
  }
}
