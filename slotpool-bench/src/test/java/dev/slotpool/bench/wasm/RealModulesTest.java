package dev.slotpool.bench.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slotpool.chicory.WasmInstancePool;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RealModulesTest {
  private static WasmInstancePool pool;

  @BeforeAll
  static void createPool() {
    pool = WasmInstancePool.builder().build();
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  private static String run(String name, Instantiator instantiator) {
    RealModule m = RealModules.get(name);
    return new String(
        m.request(instantiator, m.machineFactory(Engine.INTERPRETER)), StandardCharsets.UTF_8);
  }

  @Test
  void names_holdEveryModuleOfTheCorpusInOrder() {
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
            "wabt-wast2json",
            "quickjs",
            "sqlite");
  }

  @Test
  void get_unknownName_namesTheModulesThereAre() {
    assertThatThrownBy(() -> RealModules.get("nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("module: nope (expected one of [c-greet, c-sha256");
  }

  @Test
  void module_isParsedOnce_soThatPoolAffinityHolds() {
    RealModule m = RealModules.get("c-greet");
    assertThat(m.module()).isSameAs(m.module());
  }

  @ParameterizedTest
  @ValueSource(strings = {"c-greet", "rust-greet"})
  void greet_greetsItsArgumentsThenItsStdinLines(String name) {
    assertThat(run(name, Instantiator.plain()))
        .isEqualTo(
            "Hello, Ada!\nHello, Grace!\nHello, Alan!\nHello, Barbara!\nHello, Edsger!\n"
                + "Hello, Frances!\n6 greeted\n");
  }

  @Test
  void sha256_printsTheDigestJavaComputesForTheSameInput() throws Exception {
    RealModule m = RealModules.get("c-sha256");
    String expected =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(m.stdin()));
    assertThat(run("c-sha256", Instantiator.plain())).isEqualTo(expected + "  -\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"c-greet", "c-sha256", "c-json", "c-alloc", "c-grep", "rust-greet"})
  void request_onTheDefaultPool_writesWhatPlainChicoryWrites(String name) {
    String plain = run(name, Instantiator.plain());
    assertThat(run(name, Instantiator.pooled(pool))).isEqualTo(plain);
    // Again on the warm slot the first request left behind: its reset must not show.
    assertThat(run(name, Instantiator.pooled(pool))).isEqualTo(plain);
  }

  @ParameterizedTest
  @ValueSource(strings = {"c-greet", "c-json", "rust-greet", "wabt-wat2wasm"})
  void instantiate_givesAnInstanceAtItsInitialSize_plainOrPooled_andRunsNothing(String name) {
    RealModule m = RealModules.get(name);
    int initial = m.module().memorySection().orElseThrow().getMemory(0).limits().initialPages();
    var machine = m.machineFactory(Engine.INTERPRETER);

    assertThat(m.instantiate(Instantiator.plain(), machine)).isEqualTo(initial);
    assertThat(m.instantiate(Instantiator.pooled(pool), machine)).isEqualTo(initial);
    // The warm slot a request grew (rust-greet: 17 -> 18 pages) comes back at the initial size.
    run(name, Instantiator.pooled(pool));
    assertThat(m.instantiate(Instantiator.pooled(pool), machine)).isEqualTo(initial);
  }

  @Test
  void work_onThePool_returnsWhatItReturnsOnChicorysMemory() {
    RealModule m = RealModules.get("c-alloc");
    var customizer = m.workCustomizer(m.machineFactory(Engine.INTERPRETER));
    var builder = com.dylibso.chicory.runtime.Instance.builder(m.module());
    customizer.accept(builder);
    long expected = m.work(builder.build());
    try (var pooled = pool.instantiate(m.module(), customizer)) {
      assertThat(m.work(pooled.instance())).isEqualTo(expected);
      assertThat(m.work(pooled.instance())).isEqualTo(expected);
    }
  }

  @Test
  void machineFactory_interpreterOnABuildTimeCompiledModule_isRefused() {
    RealModule quickjs = RealModules.get("quickjs");
    assertThat(quickjs.interpretable()).isFalse();
    assertThatThrownBy(() -> quickjs.machineFactory(Engine.INTERPRETER))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("quickjs: engine INTERPRETER (expected: COMPILER");
  }

  @Test
  void work_onAModuleWithoutOne_isRefused() {
    RealModule grep = RealModules.get("c-grep");
    assertThat(grep.hasWork()).isFalse();
    assertThatThrownBy(() -> grep.work(null))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessage("c-grep has no work function");
  }
}
