package dev.slotpool.bench.endive.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slotpool.endive.WasmInstancePool;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real-module corpus generated for Endive: the programs run on Endive and its default pool
 * writes what plain Endive writes; the Chicory-built libraries are left out; the compiler runs only
 * on its own Endive release and says so otherwise.
 */
class EndiveRealModulesTest {
  private static WasmInstancePool pool;

  @BeforeAll
  static void createPool() {
    pool = WasmInstancePool.builder().build();
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  private static String run(String name, Instantiator instantiator, Engine engine) {
    RealModule m = RealModules.get(name);
    return new String(m.request(instantiator, m.machineFactory(engine)), StandardCharsets.UTF_8);
  }

  @Test
  void names_holdThePrograms_notTheChicoryBuiltLibraries() {
    assertThat(RealModules.names())
        .containsExactly(
            "c-greet",
            "c-sha256",
            "c-json",
            "c-alloc",
            "c-sort",
            "c-grep",
            "rust-greet",
            "wabt-wat2wasm",
            "wabt-wast2json");
    assertThatThrownBy(() -> RealModules.get("quickjs"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("module: quickjs (expected one of [c-greet");
  }

  @Test
  void sha256_onEndive_printsTheDigestJavaComputes() throws Exception {
    RealModule m = RealModules.get("c-sha256");
    String expected =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(m.stdin()));
    assertThat(run("c-sha256", Instantiator.plain(), Engine.INTERPRETER))
        .isEqualTo(expected + "  -\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"c-greet", "rust-greet", "c-json"})
  void request_onTheDefaultPool_writesWhatPlainEndiveWrites(String name) {
    String plain = run(name, Instantiator.plain(), Engine.INTERPRETER);
    assertThat(plain).isNotEmpty();
    assertThat(run(name, Instantiator.pooled(pool), Engine.INTERPRETER)).isEqualTo(plain);
    // Again on the warm slot the first request left behind.
    assertThat(run(name, Instantiator.pooled(pool), Engine.INTERPRETER)).isEqualTo(plain);
  }

  @Test
  void compiler_runsOnItsOwnRelease_andIsRefusedOnAnyOther() {
    String compiler = RuntimeSpecifics.version("compiler");
    String runtime = RuntimeSpecifics.version("runtime");
    assertThat(compiler).isNotNull();
    assertThat(runtime).isNotNull();
    if (compiler.equals(runtime)) {
      // Built with -Pendive-compiler: compiled requests agree with interpreted ones.
      assertThat(run("c-greet", Instantiator.pooled(pool), Engine.COMPILER))
          .isEqualTo(run("c-greet", Instantiator.plain(), Engine.INTERPRETER));
    } else {
      assertThatThrownBy(() -> RealModules.get("c-greet").machineFactory(Engine.COMPILER))
          .isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("c-greet: engine COMPILER needs run.endive:compiler")
          .hasMessageContaining("compiler " + compiler + ", runtime " + runtime);
    }
  }
}
