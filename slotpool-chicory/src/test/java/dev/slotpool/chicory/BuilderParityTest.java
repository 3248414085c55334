package dev.slotpool.chicory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slotpool.memory.MemoryPool;
import dev.slotpool.memory.PoolSettings;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README promises that {@code WasmInstancePool.Builder} takes {@code MemoryPool.Builder}'s
 * settings: this fails the day one builder gains a public setter the other lacks, or the two take
 * different parameter types.
 */
class BuilderParityTest {

  @Test
  void builders_haveTheSamePublicSetters() {
    Set<String> memory = setters(MemoryPool.Builder.class);
    Set<String> wasm = setters(WasmInstancePool.Builder.class);
    assertThat(memory)
        .as("the shared setters")
        .contains(
            "slots(int)",
            "maxMemoryBytes(long)",
            "residentBudgetBytes(long)",
            "recordAllocationSites(boolean)",
            "maxWait(java.time.Duration)",
            "jmxName(java.lang.String)");
    // threadConfined chooses what a MemoryPool lease's segments allow; a WasmInstancePool's
    // instances work from any thread whatever it says, so its builder does not offer it.
    memory.remove("threadConfined(boolean)");
    assertThat(wasm).as("WasmInstancePool.Builder's setters").isEqualTo(memory);
  }

  @Test
  void builders_buildTheSameSettings() {
    PoolSettings memory =
        MemoryPool.builder()
            .slots(3)
            .residentBudgetBytes(1 << 20)
            .recordAllocationSites(true)
            .maxUnusedWarmSlots(2)
            .settings();
    PoolSettings wasm =
        WasmInstancePool.builder()
            .slots(3)
            .residentBudgetBytes(1 << 20)
            .recordAllocationSites(true)
            .maxUnusedWarmSlots(2)
            .settings();
    assertThat(wasm).isEqualTo(memory);
    assertThat(WasmInstancePool.builder().settings()).isEqualTo(MemoryPool.builder().settings());
  }

  @Test
  void wasmPool_appliesEverySetting() {
    try (var pool =
        WasmInstancePool.builder()
            .slots(2)
            .maxMemoryBytes(1 << 20)
            .residentBudgetBytes(1 << 16)
            .recordAllocationSites(true)
            .build()) {
      PoolSettings s = pool.settings();
      assertThat(s.slots()).isEqualTo(2);
      assertThat(s.residentBudgetBytes()).isEqualTo(1 << 16);
      assertThat(pool.stats().residentBudgetBytes()).isEqualTo(1 << 16);
      assertThat(s.recordAllocationSites()).isTrue();
    }
  }

  /** Public instance methods that return the builder itself: name(parameter types). */
  private static Set<String> setters(Class<?> builder) {
    return Arrays.stream(builder.getMethods())
        .filter(m -> !Modifier.isStatic(m.getModifiers()))
        .filter(m -> m.getReturnType().isAssignableFrom(builder))
        .filter(m -> m.getDeclaringClass() != Object.class)
        .map(BuilderParityTest::signature)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static String signature(Method m) {
    return m.getName()
        + Arrays.stream(m.getParameterTypes())
            .map(Class::getName)
            .collect(Collectors.joining(",", "(", ")"));
  }
}
