package dev.slotpool.chicory.snapshot;

import static java.nio.charset.StandardCharsets.UTF_8;

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
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Drives QuickJS as quickjs4j ships it (Javy's plugin module with a build-time-compiled Chicory
 * machine) straight through its exports, as quickjs4j's {@code Engine} does: {@code
 * initialize_runtime} creates the runtime and context, {@code compileSrc} turns source into
 * bytecode, {@code invoke} runs it; {@code console.log} writes to WASI stdout.
 */
public final class QuickJs {
  /** The parsed module, shared so that the pool sees one module. */
  public static final WasmModule MODULE = JavyPluginModule.load();

  private static final ValType I32 = ValType.I32;

  private QuickJs() {}

  /** One instance's host side: a WASI context with its own stdout and a fixed clock. */
  public static final class Host implements AutoCloseable {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final WasiPreview1 wasi;

    public Host() {
      var options =
          WasiOptions.builder()
              .withStdout(stdout)
              .withStderr(stderr)
              .withClock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
              .withRandom(new Random(1))
              .build();
      this.wasi = WasiPreview1.builder().withOptions(options).build();
    }

    /** Configures an instance builder with this host's imports and the compiled machine. */
    public Consumer<Instance.Builder> customizer() {
      var invoke =
          new HostFunction(
              "chicory",
              "invoke",
              FunctionType.of(List.of(I32, I32, I32, I32, I32, I32), List.of(I32)),
              (instance, args) -> {
                throw new UnsupportedOperationException("no Java builtins in these scripts");
              });
      ImportValues imports =
          ImportValues.builder().addFunction(wasi.toHostFunctions()).addFunction(invoke).build();
      return builder ->
          builder.withMachineFactory(JavyPluginModule::create).withImportValues(imports);
    }

    public String stdout() {
      return stdout.toString(UTF_8);
    }

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

  /** Compiles and runs {@code js} in the instance's context. */
  public static void eval(Instance instance, String js) {
    byte[] source = js.getBytes(UTF_8);
    var memory = instance.memory();
    int src = (int) instance.export("canonical_abi_realloc").apply(0, 0, 1, source.length)[0];
    memory.write(src, source);
    int compiled = (int) instance.export("compileSrc").apply(src, source.length)[0];
    instance.export("canonical_abi_free").apply(src, source.length, 1);
    int code = memory.readInt(compiled);
    int length = memory.readInt(compiled + 4);
    instance.export("invoke").apply(code, length, 0, 0);
    instance.export("canonical_abi_free").apply(code, length, 1);
  }

  /** The engine's init and then {@code prelude}: what a snapshot captures. */
  public static Consumer<Instance> init(String prelude) {
    return instance -> {
      initializeRuntime(instance);
      eval(instance, prelude);
    };
  }
}
