package dev.slotpool.memory;

import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * A pool's statistics as a read-only JMX MBean in the platform MBean server, named {@code
 * dev.slotpool:type=TYPE,name=NAME}: what {@link MemoryPool.Builder#jmxName(String)} registers.
 *
 * <p>Its attributes are every component of {@link PoolStats} (capitalised: {@code InUse}, {@code
 * UnusedWarmSlots}, {@code ResidentBytes}, {@code AffinityHits}, {@code Waits}, {@code WaitNanos},
 * ...), plus {@code ColdSlots}, {@code AffinityHitRate}, and every component of the pool's {@link
 * PoolSettings} that {@code PoolStats} does not already have ({@code MaxMemoryBytes}, {@code
 * GuardBytes}, {@code ResidentMode}, {@code KeepResidentBytes}, {@code MaxUnusedWarmSlots}, {@code
 * DecommitBatchSize}, {@code UsePagemapScan}, {@code ThreadConfined}, {@code
 * RecordAllocationSites}, {@code MaxWaitMillis}), and {@code UsesPagemapScan} (whether resets do
 * use it). Reading several attributes in one {@code getAttributes} call reads them from one
 * snapshot. There are no operations: nothing a JMX client does can change the pool.
 *
 * <p>Registration is opt-in: a pool is registered only when it is given a name, and unregistered
 * when it is closed. While registered, the MBean server holds the pool, so a registered pool must
 * be closed to be freed.
 *
 * <p>Thread-safe.
 */
public final class PoolMBean {
  /*
   * Implementation notes.
   *
   * A DynamicMBean rather than a standard MBean interface, so that a component added to PoolStats
   * appears as an attribute without a second list to keep in step: the attributes are read from the
   * record's components by reflection, once, in the static initialiser. The settings attributes
   * are read from PoolSettings' components the same way, so a new setting appears too.
   */

  /** The domain of every slotpool MBean. */
  public static final String DOMAIN = "dev.slotpool";

  private static final List<RecordComponent> COMPONENTS =
      List.of(PoolStats.class.getRecordComponents());

  private static final Duration LONGEST = Duration.ofMillis(Long.MAX_VALUE);

  private final ObjectName objectName;
  private final MBeanServer server;
  private boolean registered;

  private PoolMBean(ObjectName objectName, MBeanServer server) {
    this.objectName = objectName;
    this.server = server;
  }

  /**
   * The object name {@code dev.slotpool:type=TYPE,name=NAME}, with {@code name} quoted only if it
   * contains a character that an unquoted value may not.
   *
   * @throws IllegalArgumentException if {@code name} is empty or {@code type} is not a plain word
   */
  public static ObjectName objectName(String type, String name) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(name, "name");
    if (!type.matches("[A-Za-z][A-Za-z0-9]*")) {
      throw new IllegalArgumentException("type: \"" + type + "\" (expected: a plain word)");
    }
    if (name.isEmpty()) {
      throw new IllegalArgumentException("jmxName: \"\" (expected: a non-empty name)");
    }
    boolean plain = name.chars().noneMatch(c -> ",=:\"*?\n\\".indexOf(c) >= 0);
    String value = plain ? name : ObjectName.quote(name);
    try {
      return new ObjectName(DOMAIN + ":type=" + type + ",name=" + value);
    } catch (MalformedObjectNameException e) {
      throw new IllegalArgumentException(
          "jmxName: \"" + name + "\" (expected: a name JMX accepts: " + e.getMessage() + ")", e);
    }
  }

  /**
   * Registers a pool's statistics under {@link #objectName(String, String) objectName(type, name)}
   * in the platform MBean server.
   *
   * @param type the kind of pool, for example {@code "MemoryPool"}
   * @param name the pool's name, unique among the registered pools of that type
   * @param stats reads a snapshot of the pool's counters
   * @param settings fixed attributes (name to value: an {@code Integer}, {@code Long}, {@code
   *     Boolean} or {@code String}), in the order given
   * @return the registration, to {@link #unregister()} when the pool closes
   * @throws IllegalArgumentException if the name is malformed or already registered
   */
  public static PoolMBean register(
      String type, String name, Supplier<PoolStats> stats, Map<String, Object> settings) {
    ObjectName objectName = objectName(type, name);
    Objects.requireNonNull(stats, "stats");
    var copy = new LinkedHashMap<>(settings);
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    try {
      server.registerMBean(new View(type, stats, copy), objectName);
    } catch (InstanceAlreadyExistsException e) {
      throw new IllegalArgumentException(
          "jmxName: \""
              + name
              + "\" (expected: a name no other open "
              + type
              + " uses; "
              + objectName
              + " is registered)",
          e);
    } catch (JMException e) {
      throw new IllegalStateException("cannot register " + objectName, e);
    }
    PoolMBean registration = new PoolMBean(objectName, server);
    registration.registered = true;
    return registration;
  }

  /**
   * Registers {@code pool}'s statistics and settings under {@link #objectName(String, String)
   * objectName(type, name)} in the platform MBean server.
   *
   * @param type the kind of pool, {@code "MemoryPool"} or {@code "WasmInstancePool"}
   * @param name the pool's name, unique among the registered pools of that type
   * @param pool the memory pool (of the {@code WasmInstancePool})
   * @return the registration, to {@link #unregister()} when the pool closes
   * @throws IllegalArgumentException if the name is malformed or already registered
   */
  public static PoolMBean register(String type, String name, MemoryPool pool) {
    return register(type, name, pool::stats, settingsAttributes(pool));
  }

  /** The settings as attributes: what PoolStats does not have, in the record's order. */
  private static Map<String, Object> settingsAttributes(MemoryPool pool) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    PoolSettings settings = pool.settings();
    for (RecordComponent c : PoolSettings.class.getRecordComponents()) {
      String name = capitalise(c.getName());
      if (COMPONENTS.stream().anyMatch(s -> capitalise(s.getName()).equals(name))) {
        continue; // slots, residentBudgetBytes: the statistics report them already
      }
      Object value;
      try {
        value = c.getAccessor().invoke(settings);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException("cannot read PoolSettings." + c.getName(), e);
      }
      if (value instanceof Duration d) {
        attributes.put(name + "Millis", d.compareTo(LONGEST) >= 0 ? Long.MAX_VALUE : d.toMillis());
      } else if (value instanceof Enum<?> e) {
        attributes.put(name, e.name());
      } else {
        attributes.put(name, value);
      }
    }
    attributes.put("UsesPagemapScan", pool.usesPagemapScan());
    return attributes;
  }

  private static String capitalise(String name) {
    return Character.toUpperCase(name.charAt(0)) + name.substring(1);
  }

  /** The name this pool is registered under. */
  public ObjectName objectName() {
    return objectName;
  }

  /** Removes the MBean from the server. Idempotent. */
  public synchronized void unregister() {
    if (!registered) {
      return;
    }
    registered = false;
    try {
      server.unregisterMBean(objectName);
    } catch (InstanceNotFoundException e) {
      // Someone else unregistered it: the end state is the one asked for.
    } catch (JMException e) {
      throw new IllegalStateException("cannot unregister " + objectName, e);
    }
  }

  @Override
  public String toString() {
    return "PoolMBean[" + objectName + "]";
  }

  /** The MBean itself: attributes read from a {@link PoolStats} snapshot. */
  private static final class View implements DynamicMBean {
    private final Supplier<PoolStats> stats;
    private final Map<String, Object> settings;
    private final MBeanInfo info;

    View(String type, Supplier<PoolStats> stats, Map<String, Object> settings) {
      this.stats = stats;
      this.settings = settings;
      List<MBeanAttributeInfo> attributes = new ArrayList<>();
      for (RecordComponent c : COMPONENTS) {
        attributes.add(attribute(capitalise(c.getName()), c.getType(), "PoolStats." + c.getName()));
      }
      attributes.add(attribute("ColdSlots", int.class, "PoolStats.coldSlots()"));
      attributes.add(attribute("AffinityHitRate", double.class, "PoolStats.affinityHitRate()"));
      settings.forEach(
          (name, value) -> attributes.add(attribute(name, value.getClass(), "setting")));
      this.info =
          new MBeanInfo(
              View.class.getName(),
              "slotpool " + type + " statistics (read-only)",
              attributes.toArray(new MBeanAttributeInfo[0]),
              null,
              null,
              null);
    }

    private static MBeanAttributeInfo attribute(String name, Class<?> type, String description) {
      return new MBeanAttributeInfo(name, type.getName(), description, true, false, false);
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException {
      return read(stats.get(), attribute);
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
      PoolStats snapshot = stats.get();
      AttributeList list = new AttributeList();
      for (String name : attributes) {
        try {
          list.add(new Attribute(name, read(snapshot, name)));
        } catch (AttributeNotFoundException e) {
          // getAttributes leaves out the names it does not know, as the JMX contract says.
        }
      }
      return list;
    }

    private Object read(PoolStats snapshot, String attribute) throws AttributeNotFoundException {
      Objects.requireNonNull(attribute, "attribute");
      switch (attribute) {
        case "ColdSlots":
          return snapshot.coldSlots();
        case "AffinityHitRate":
          return snapshot.affinityHitRate();
        default:
          break;
      }
      Object setting = settings.get(attribute);
      if (setting != null) {
        return setting;
      }
      for (RecordComponent c : COMPONENTS) {
        if (capitalise(c.getName()).equals(attribute)) {
          Method accessor = c.getAccessor();
          try {
            return accessor.invoke(snapshot);
          } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read PoolStats." + c.getName(), e);
          }
        }
      }
      throw new AttributeNotFoundException(
          attribute + " (expected: one of the attributes in this MBean's MBeanInfo)");
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
      throw new AttributeNotFoundException(attribute.getName() + " is read-only");
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
      return new AttributeList();
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) {
      throw new UnsupportedOperationException(actionName + ": this MBean has no operations");
    }

    @Override
    public MBeanInfo getMBeanInfo() {
      return info;
    }
  }
}
