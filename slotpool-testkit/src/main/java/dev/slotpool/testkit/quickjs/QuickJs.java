package dev.slotpool.testkit.quickjs;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.roastedroot.quickjs4j.core.JavyPluginModule;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Drives QuickJS as quickjs4j ships it (Javy's plugin module with a build-time-compiled Chicory
 * machine) straight through its exports, as quickjs4j's {@code Engine} does: {@code
 * initialize_runtime} creates the runtime and context, {@code compileSrc} turns source into
 * bytecode, {@code invoke} runs bytecode; {@code console.log} writes to WASI stdout.
 *
 * <p>Chicory only (the machine is compiled against Chicory's API): the callers bring Chicory's
 * runtime, WASI and quickjs4j, which this artifact compiles against but does not pull in.
 *
 * <p>Stateless and thread-safe; each call works on the instance it is given.
 */
public final class QuickJs {
  /** The parsed module, shared so that a pool sees one module. */
  public static final WasmModule MODULE = JavyPluginModule.load();

  private static final ValType I32 = ValType.I32;
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  private QuickJs() {}

  /** Bytecode {@link #compile compiled} into an instance's memory: where it is and its length. */
  public record Script(int address, int length) {}

  /**
   * One instance's host side: a WASI context with its own stdout, a fixed clock and a seeded random
   * source. Not thread-safe: one instance at a time ({@link #reset()} between them).
   */
  public static final class Host implements AutoCloseable {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final WasiPreview1 wasi;
    private final ImportValues imports;

    public Host() {
      var options =
          WasiOptions.builder()
              .withStdout(stdout)
              .withStderr(stderr)
              .withClock(CLOCK)
              .withRandom(new Random(1))
              .build();
      this.wasi =
          WasiPreview1.builder().withLogger(new SystemLogger()).withOptions(options).build();
      var invoke =
          new HostFunction(
              "chicory",
              "invoke",
              FunctionType.of(List.of(I32, I32, I32, I32, I32, I32), List.of(I32)),
              (instance, args) -> {
                throw new UnsupportedOperationException("no Java builtins in these scripts");
              });
      this.imports = ImportValues.builder().addFunction(imported(wasi)).addFunction(invoke).build();
    }

    /** WASI's functions that the module imports: Chicory matches each import against them all. */
    private static HostFunction[] imported(WasiPreview1 wasi) {
      var imports = MODULE.importSection();
      var names = new HashSet<String>();
      for (int i = 0; i < imports.importCount(); i++) {
        names.add(imports.getImport(i).module() + "." + imports.getImport(i).name());
      }
      return Arrays.stream(wasi.toHostFunctions())
          .filter(f -> names.contains(f.module() + "." + f.name()))
          .toArray(HostFunction[]::new);
    }

    /** Configures an instance builder with this host's imports and the compiled machine. */
    public Consumer<Instance.Builder> customizer() {
      return builder ->
          builder.withMachineFactory(JavyPluginModule::create).withImportValues(imports);
    }

    /**
     * Forgets what was printed, so that the next instance's output starts empty: a host can then
     * serve one instance after another (building Chicory's WASI costs more than a light request).
     */
    public void reset() {
      stdout.reset();
      stderr.reset();
    }

    /** What the scripts printed so far. */
    public String stdout() {
      return stdout.toString(UTF_8);
    }

    /** What the engine wrote to stderr so far (uncaught exceptions). */
    public String stderr() {
      return stderr.toString(UTF_8);
    }

    @Override
    public void close() {
      wasi.close();
    }
  }

  /** Creates the engine's runtime and context. */
  public static void initializeRuntime(Instance instance) {
    instance.export("initialize_runtime").apply();
  }

  /** Compiles {@code js} to bytecode, left in the instance's memory for {@link #run}. */
  public static Script compile(Instance instance, String js) {
    byte[] source = js.getBytes(UTF_8);
    var memory = instance.memory();
    int src = (int) instance.export("canonical_abi_realloc").apply(0, 0, 1, source.length)[0];
    memory.write(src, source);
    int compiled = (int) instance.export("compileSrc").apply(src, source.length)[0];
    instance.export("canonical_abi_free").apply(src, source.length, 1);
    return new Script(memory.readInt(compiled), memory.readInt(compiled + 4));
  }

  /** Runs compiled bytecode in the instance's context; the bytecode stays. */
  public static void run(Instance instance, Script script) {
    instance.export("invoke").apply(script.address(), script.length(), 0, 0);
  }

  /** Compiles and runs {@code js} in the instance's context, then frees its bytecode. */
  public static void eval(Instance instance, String js) {
    Script script = compile(instance, js);
    run(instance, script);
    instance.export("canonical_abi_free").apply(script.address(), script.length(), 1);
  }

  /** The engine's init and then {@code prelude}: what a snapshot captures. */
  public static Consumer<Instance> init(String prelude) {
    return instance -> {
      initializeRuntime(instance);
      eval(instance, prelude);
    };
  }
}
