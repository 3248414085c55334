package dev.slotpool.chicory.internal;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs a customizer on an {@code Instance.Builder} so that the machine it chooses (the interpreter
 * by default) is wrapped in a {@link GuardedMachine}. The builder has no getter for its machine
 * factory, so the factory the customizer set is read through a private lookup: allowed whenever the
 * runtime's package is open to this module, as every package is on the class path. On the module
 * path without {@code --add-opens
 * com.dylibso.chicory.runtime/com.dylibso.chicory.runtime=dev.slotpool.chicory} the lookup fails: a
 * guarded interpreter is then set before the customizer runs, and {@link #check} refuses an
 * instance whose customizer replaced it.
 */
public final class MachineFactories {
  private static final VarHandle FACTORY = find();

  private MachineFactories() {}

  /** Applies {@code customizer} to {@code builder}, guarding the machine with {@code memories}. */
  @SuppressWarnings("unchecked")
  public static void customize(
      Instance.Builder builder, Consumer<Instance.Builder> customizer, InstanceMemories memories) {
    if (FACTORY == null) {
      builder.withMachineFactory(GuardedMachine.factory(InterpreterMachine::new, memories));
      customizer.accept(builder);
      return;
    }
    customizer.accept(builder);
    var chosen = (Function<Instance, Machine>) FACTORY.get(builder);
    builder.withMachineFactory(
        GuardedMachine.factory(chosen == null ? InterpreterMachine::new : chosen, memories));
  }

  /**
   * After the build: makes sure every call into {@code instance} is counted.
   *
   * @throws IllegalStateException if its machine is not guarded (see the class comment)
   */
  public static void check(Instance instance) {
    if (!(instance.getMachine() instanceof GuardedMachine)) {
      Module runtime = Instance.class.getModule();
      throw new IllegalStateException(
          "the customizer set a machine factory that the pool cannot see: run with --add-opens "
              + (runtime.isNamed() ? runtime.getName() : "ALL-UNNAMED")
              + "/"
              + Instance.class.getPackageName()
              + "="
              + MachineFactories.class.getModule().getName()
              + " so that the pool can wrap it");
    }
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
