package dev.slotpool.memory;

import static dev.slotpool.memory.Contents.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.management.Attribute;
import javax.management.AttributeNotFoundException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

class PoolMBeanTest {
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

  @Test
  void jmxName_registersStatsUntilClose() throws Exception {
    ObjectName name = new ObjectName("dev.slotpool:type=MemoryPool,name=checkout");
    try (MemoryPool pool =
        MemoryPool.builder()
            .slots(3)
            .maxMemoryBytes(4 * PAGE)
            .keepResidentBytes(PAGE)
            .jmxName("checkout")
            .build()) {
      assertThat(server.isRegistered(name)).isTrue();
      pool.allocate("a", null, PAGE).close();
      PooledMemory held = pool.allocate("a", null, PAGE);

      assertThat(server.getAttribute(name, "Slots")).isEqualTo(3);
      assertThat(server.getAttribute(name, "InUse")).isEqualTo(1);
      assertThat(server.getAttribute(name, "AffinityHits")).isEqualTo(1L);
      assertThat(server.getAttribute(name, "ColdAllocations")).isEqualTo(1L);
      assertThat(server.getAttribute(name, "ColdSlots")).isEqualTo(2);
      assertThat(server.getAttribute(name, "KeepResidentBytes")).isEqualTo(PAGE);
      assertThat(server.getAttribute(name, "ResidentMode")).isEqualTo("FIXED");
      assertThat(server.getAttribute(name, "MaxUnusedWarmSlots")).isEqualTo(3);
      assertThat(server.getAttribute(name, "DecommitBatchSize")).isEqualTo(1);
      assertThat(server.getAttribute(name, "MaxWaitMillis")).isEqualTo(30_000L);
      assertThat(server.getAttribute(name, "UsesPagemapScan")).isEqualTo(pool.usesPagemapScan());
      assertThat(server.getAttribute(name, "WaitNanos")).isEqualTo(0L);
      held.close();
      assertThat(server.getAttribute(name, "UnusedWarmSlots")).isEqualTo(1);
      assertThat(server.getAttribute(name, "ResidentBytes"))
          .isEqualTo(pool.stats().residentBytes());
      assertThat(
              server
                  .getAttributes(name, new String[] {"InUse", "Nope", "AffinityHitRate"})
                  .asList())
          .extracting(Attribute::getName)
          .containsExactly("InUse", "AffinityHitRate");

      // Every PoolStats component is an attribute, so one added later needs no JMX code.
      List<String> attributes =
          Arrays.stream(server.getMBeanInfo(name).getAttributes())
              .map(MBeanAttributeInfo::getName)
              .toList();
      for (var component : PoolStats.class.getRecordComponents()) {
        String n = component.getName();
        assertThat(attributes).contains(Character.toUpperCase(n.charAt(0)) + n.substring(1));
      }
      // And every setting, a Duration in milliseconds: one added later needs no JMX code either.
      for (var component : PoolSettings.class.getRecordComponents()) {
        String n = component.getName();
        String attribute = Character.toUpperCase(n.charAt(0)) + n.substring(1);
        assertThat(attributes)
            .contains(component.getType() == Duration.class ? attribute + "Millis" : attribute);
      }
      assertThatThrownBy(() -> server.getAttribute(name, "Nope"))
          .isInstanceOf(AttributeNotFoundException.class);
      assertThatThrownBy(() -> server.setAttribute(name, new Attribute("InUse", 0)))
          .isInstanceOf(AttributeNotFoundException.class)
          .hasMessageContaining("read-only");
    }
    assertThat(server.isRegistered(name)).isFalse();
  }

  @Test
  void noJmxName_registersNothing() {
    int before = server.queryNames(ObjectName.WILDCARD, null).size();
    try (MemoryPool pool = MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).build()) {
      assertThat(pool.stats().slots()).isEqualTo(1);
      assertThat(server.queryNames(ObjectName.WILDCARD, null)).hasSize(before);
    }
  }

  @Test
  void duplicateName_isRejectedAndLeavesTheFirstRegistered() throws Exception {
    ObjectName name = new ObjectName("dev.slotpool:type=MemoryPool,name=twice");
    try (MemoryPool first =
        MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).jmxName("twice").build()) {
      assertThatThrownBy(
              () -> MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).jmxName("twice").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("jmxName: \"twice\"")
          .hasMessageContaining("is registered");
      assertThat(server.getAttribute(name, "Slots")).isEqualTo(first.slots());
    }
    assertThat(server.isRegistered(name)).isFalse();
  }

  @Test
  void namesWithSpecialCharacters_areQuoted_andEmptyOnesRejected() throws Exception {
    try (MemoryPool pool =
        MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).jmxName("a,b=c").build()) {
      assertThat(server.isRegistered(PoolMBean.objectName("MemoryPool", "a,b=c"))).isTrue();
      assertThat(PoolMBean.objectName("MemoryPool", "a,b=c").getKeyProperty("name"))
          .isEqualTo(ObjectName.quote("a,b=c"));
      assertThat(pool.slots()).isEqualTo(1);
    }
    assertThatThrownBy(() -> MemoryPool.builder().slots(1).maxMemoryBytes(PAGE).jmxName("").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jmxName: \"\" (expected: a non-empty name)");
  }
}
