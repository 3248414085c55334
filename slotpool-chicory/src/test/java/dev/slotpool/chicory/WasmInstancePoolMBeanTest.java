package dev.slotpool.chicory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.testkit.wasm.TestModules;
import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

class WasmInstancePoolMBeanTest {
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

  @Test
  void jmxName_registersTheInstancePoolUntilClose() throws Exception {
    ObjectName name = new ObjectName("dev.slotpool:type=WasmInstancePool,name=api");
    WasmModule module = Parser.parse(TestModules.checksumModule("Hi"));
    try (WasmInstancePool pool =
        WasmInstancePool.builder().slots(2).maxMemoryBytes(1 << 20).jmxName("api").build()) {
      pool.instantiate(module).close();
      pool.instantiate(module).close();
      assertThat(server.getAttribute(name, "AffinityHits")).isEqualTo(1L);
      assertThat(server.getAttribute(name, "ImageMappings")).isEqualTo(1L);
      assertThat(server.getAttribute(name, "MaxMemoryBytes")).isEqualTo(1L << 20);
      // Every setting is an attribute, read from the same PoolSettings as MemoryPool's MBean.
      assertThat(server.getAttribute(name, "MaxWaitMillis")).isEqualTo(30_000L);
      assertThat(server.getAttribute(name, "ResidentMode")).isEqualTo("ADAPTIVE");
      assertThat(server.getAttribute(name, "RecordAllocationSites")).isEqualTo(false);
      assertThat(server.getAttribute(name, "ResidentBudgetBytes"))
          .isEqualTo(pool.settings().residentBudgetBytes());
      assertThat(server.getAttribute(name, "Waits")).isEqualTo(0L);
      assertThat(server.getAttribute(name, "WaitNanos")).isEqualTo(0L);
      // The instance pool's memory pool is not registered a second time under its own type.
      assertThat(server.queryNames(new ObjectName("dev.slotpool:type=MemoryPool,*"), null))
          .isEmpty();
      assertThatThrownBy(
              () ->
                  WasmInstancePool.builder()
                      .slots(1)
                      .maxMemoryBytes(1 << 20)
                      .jmxName("api")
                      .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is registered");
    }
    assertThat(server.isRegistered(name)).isFalse();
  }
}
