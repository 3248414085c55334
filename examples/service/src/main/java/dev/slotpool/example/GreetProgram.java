package dev.slotpool.example;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Function;

/**
 * The WebAssembly program the service runs: a WASI command that greets the names in its arguments
 * and the lines of its stdin ({@code rust-greet} or {@code c-greet}, copied from slotpool-bench's
 * committed modules; see {@code src/main/resources/dev/slotpool/example/README.md}).
 *
 * <p>Parsed and compiled to JVM bytecode (Chicory's runtime compiler) once; immutable and
 * thread-safe. Both of the service's modes run the same compiled machine, so they differ only in
 * how an instance gets its memory.
 *
 * @param name the module's name
 * @param module the parsed module: the pool recognises a module by this object's identity
 * @param machine the compiled machine factory for {@code Instance.Builder.withMachineFactory}
 */
public record GreetProgram(String name, WasmModule module, Function<Instance, Machine> machine) {
  /** The names {@link #load} accepts. */
  public static final List<String> NAMES = List.of("rust-greet", "c-greet");

  /**
   * Loads and compiles the named program from this example's resources.
   *
   * @throws IllegalArgumentException if {@code name} is not one of {@link #NAMES}
   */
  public static GreetProgram load(String name) {
    if (!NAMES.contains(name)) {
      throw new IllegalArgumentException("module: " + name + " (expected: one of " + NAMES + ")");
    }
    try (InputStream in = GreetProgram.class.getResourceAsStream(name + ".wasm")) {
      if (in == null) {
        throw new IllegalStateException(name + ".wasm is missing from the class path");
      }
      WasmModule module = Parser.parse(in.readAllBytes());
      return new GreetProgram(name, module, MachineFactoryCompiler.compile(module));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
