package dev.slotpool.chicory.internal;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Function;

/**
 * Reads the machine factory a customizer set on an {@code Instance.Builder}, which has no getter,
 * so that the pool can wrap it in a {@link GuardedMachine}.
 *
 * <p>The builder's field is read through a private lookup: allowed whenever the runtime's package
 * is open to this module, as every package is on the class path. On the module path, without {@code
 * --add-opens com.dylibso.chicory.runtime/com.dylibso.chicory.runtime=dev.slotpool.chicory}, {@link
 * #readable()} is false: the pool then sets a guarded interpreter before the customizer runs and
 * refuses an instance whose customizer replaced it.
 */
public final class MachineFactories {
  private static final VarHandle FACTORY = find();

  private MachineFactories() {}

  /** The runtime's default machine, the interpreter. */
  public static Function<Instance, Machine> interpreter() {
    return InterpreterMachine::new;
  }

  /** Whether {@link #read} can see the builder's machine factory. */
  public static boolean readable() {
    return FACTORY != null;
  }

  /** The factory set on {@code builder}, or the interpreter's if none was set. */
  @SuppressWarnings("unchecked")
  public static Function<Instance, Machine> read(Instance.Builder builder) {
    Object factory = FACTORY.get(builder);
    return factory == null ? interpreter() : (Function<Instance, Machine>) factory;
  }

  /**
   * Before the customizer runs: if the builder's factory cannot be read, sets the guarded
   * interpreter, which a customizer that sets a machine factory replaces ({@link #check} then
   * refuses the instance).
   */
  public static void preset(Instance.Builder builder, InstanceMemories memories) {
    if (FACTORY == null) {
      builder.withMachineFactory(GuardedMachine.factory(interpreter(), memories));
    }
  }

  /** After the customizer ran: guards the machine factory it set (or the interpreter). */
  public static void guard(Instance.Builder builder, InstanceMemories memories) {
    if (FACTORY != null) {
      builder.withMachineFactory(GuardedMachine.factory(read(builder), memories));
    }
  }

  /**
   * After the build: makes sure every call into {@code instance} is counted.
   *
   * @throws IllegalStateException if its machine is not guarded (see {@link #preset})
   */
  public static void check(Instance instance) {
    if (!(instance.getMachine() instanceof GuardedMachine)) {
      throw new IllegalStateException(
          "the customizer set a machine factory that the pool cannot see on the module path: "
              + openHint());
    }
  }

  /** The hint for an instance whose machine could not be guarded. */
  public static String openHint() {
    Module runtime = Instance.class.getModule();
    String name = runtime.isNamed() ? runtime.getName() : "ALL-UNNAMED";
    return "run with --add-opens "
        + name
        + "/"
        + Instance.class.getPackageName()
        + "="
        + MachineFactories.class.getModule().getName()
        + " so that the pool can wrap the machine factory the customizer sets";
  }

  private static VarHandle find() {
    try {
      MethodHandles.Lookup lookup =
          MethodHandles.privateLookupIn(Instance.Builder.class, MethodHandles.lookup());
      return lookup.findVarHandle(Instance.Builder.class, "machineFactory", Function.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
