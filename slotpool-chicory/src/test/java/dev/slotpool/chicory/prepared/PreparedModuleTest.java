package dev.slotpool.chicory.prepared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.Linker;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.PreparedModule;
import dev.slotpool.chicory.RecycleStats;
import dev.slotpool.chicory.WasmInstancePool;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prepared modules on real WASI programs (C and Rust greet): every request, recycled or built,
 * prints what plain Chicory prints for the same input, and warm requests reuse the instance.
 */
class PreparedModuleTest {
  private static WasmInstancePool pool;

  @BeforeAll
  static void open() {
    pool = WasmInstancePool.builder().slots(8).maxMemoryBytes(64 << 20).build();
  }

  @AfterAll
  static void close() {
    pool.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"c-greet.wasm", "rust-greet.wasm"})
  void everyRequestPrintsWhatPlainChicoryPrints_andWarmOnesAreRecycled(String name) {
    WasmModule module = Parser.parse(resource(name));
    PreparedModule<WasiOptions> prepared = pool.prepare(module, Linker.wasi());
    assertThat(prepared.recycles()).isTrue();
    String[] names = {"ada", "grace", "linus", "a much longer name than the others", "x"};
    for (int i = 0; i < 20; i++) {
      String who = names[i % names.length];
      var out = new ByteArrayOutputStream();
      int exit;
      try (PooledInstance pooled = prepared.instantiate(options(who, out))) {
        exit = run(pooled.instance());
      }
      var expected = new ByteArrayOutputStream();
      int plainExit = plain(module, options(who, expected));
      assertThat(exit).isEqualTo(plainExit);
      assertThat(out.toString(StandardCharsets.UTF_8))
          .as("request %d (%s)", i, who)
          .isEqualTo(expected.toString(StandardCharsets.UTF_8));
    }
    RecycleStats stats = prepared.recycleStats();
    assertThat(stats.built()).isEqualTo(1);
    assertThat(stats.recycled()).isEqualTo(19);
    assertThat(stats.notRecycled()).containsOnlyKeys(RecycleStats.Reason.NO_INSTANCE_ON_SLOT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"c-greet.wasm"})
  void theInstanceIsGoneFromTheHandleOnceClosed(String name) {
    PreparedModule<WasiOptions> prepared =
        pool.prepare(Parser.parse(resource(name)), Linker.wasi());
    PooledInstance pooled = prepared.instantiate(options("ada", new ByteArrayOutputStream()));
    Instance instance = pooled.instance();
    pooled.close();
    assertThatThrownBy(pooled::instance)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("recycled");
    assertThatThrownBy(() -> instance.export("_start").apply())
        .isInstanceOf(IllegalStateException.class);
  }

  static WasiOptions options(String who, ByteArrayOutputStream out) {
    InputStream in =
        new ByteArrayInputStream((who + "\nvisitor\n").getBytes(StandardCharsets.UTF_8));
    return WasiOptions.builder()
        .withArguments(List.of("greet", who))
        .withStdin(in)
        .withStdout(out)
        .withStderr(new ByteArrayOutputStream())
        .build();
  }

  static int run(Instance instance) {
    try {
      instance.export("_start").apply();
      return 0;
    } catch (WasiExitException e) {
      return e.exitCode();
    }
  }

  static int plain(WasmModule module, WasiOptions options) {
    try (var wasi = WasiPreview1.builder().withOptions(options).build()) {
      var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
      return run(Instance.builder(module).withImportValues(imports).withStart(false).build());
    }
  }

  static byte[] resource(String name) {
    try (InputStream in =
        PreparedModuleTest.class.getResourceAsStream("/dev/slotpool/testkit/wasm/" + name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
