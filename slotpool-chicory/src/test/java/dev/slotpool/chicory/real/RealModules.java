package dev.slotpool.chicory.real;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * Real WASI programs from Maven Central ({@code com.dylibso.chicory:wabt:1.0.0} ships wabt's C++
 * tools {@code wat2wasm} and {@code wast2json} compiled to wasm32-wasi) and one request of each,
 * run through Chicory's own WASI.
 */
public final class RealModules {
  private RealModules() {}

  /** A small module in the text format: the input of a wat2wasm request. */
  public static final String SMALL_WAT =
      """
      (module
        (memory (export "memory") 1)
        (data (i32.const 16) "hello, pooled world")
        (func (export "add") (param i32 i32) (result i32)
          local.get 0
          local.get 1
          i32.add)
        (func (export "sum") (param $p i32) (param $n i32) (result i64)
          (local $s i64)
          (block $done
            (loop $next
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $p))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $next)))
          (local.get $s)))
      """;

  private static WasmModule wat2wasm;

  /** wabt's wat2wasm, parsed once. */
  public static synchronized WasmModule wat2wasm() {
    if (wat2wasm == null) {
      wat2wasm = Parser.parse(resource("wat2wasm"));
    }
    return wat2wasm;
  }

  /** The bytes of a root resource of the wabt jar. */
  public static byte[] resource(String name) {
    try (InputStream in = RealModules.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " not on the class path (com.dylibso.chicory:wabt)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What a WASI program printed and the status it exited with. */
  public record Result(int exitCode, byte[] stdout, String stderr) {}

  /**
   * Runs one WASI request: builds the instance with {@code instantiate} (given the builder
   * customizer that wires WASI), calls {@code _start}, and closes it with {@code close}.
   */
  public interface Instantiator {
    Instance instantiate(WasmModule module, Consumer<Instance.Builder> customizer);

    default void close(Instance instance) {}
  }

  /** One wasi request: {@code args} (argv[0] first) with {@code stdin}. */
  public static Result run(
      Instantiator instantiator, WasmModule module, List<String> args, byte[] stdin) {
    var stdout = new ByteArrayOutputStream();
    var stderr = new ByteArrayOutputStream();
    var options =
        WasiOptions.builder()
            .withArguments(args)
            .withStdin(new ByteArrayInputStream(stdin))
            .withStdout(stdout)
            .withStderr(stderr)
            .build();
    int exit = 0;
    try (var wasi = WasiPreview1.builder().withOptions(options).build()) {
      var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
      Instance instance =
          instantiator.instantiate(module, b -> b.withImportValues(imports).withStart(false));
      try {
        instance.export("_start").apply();
      } catch (WasiExitException e) {
        exit = e.exitCode();
      } finally {
        instantiator.close(instance);
      }
    }
    return new Result(exit, stdout.toByteArray(), stderr.toString(StandardCharsets.UTF_8));
  }

  /** {@code wat2wasm - --output=-}: compiles {@link #SMALL_WAT} from stdin to stdout. */
  public static Result compileSmallWat(Instantiator instantiator) {
    return run(
        instantiator,
        wat2wasm(),
        List.of("wat2wasm", "-", "--output=-"),
        SMALL_WAT.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code wat2wasm --version}: startup and a line of output, the shortest real request. */
  public static Result version(Instantiator instantiator) {
    return run(instantiator, wat2wasm(), List.of("wat2wasm", "--version"), new byte[0]);
  }
}
