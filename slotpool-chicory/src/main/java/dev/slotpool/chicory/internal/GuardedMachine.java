package dev.slotpool.chicory.internal;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import java.util.function.Function;

/**
 * The machine of a pooled instance: the runtime's own machine (the interpreter, or a compiled one),
 * with every call into it counted by the instance's {@link InstanceMemories}. {@code Machine.call}
 * is the only way into an instance's Wasm code (exports, the start function, calls from other
 * instances through imports), so while no call is counted, no Wasm code of the instance runs, and
 * its slots can be reset at once; a close during a call leaves the reset to the call's exit.
 *
 * <p>Thread-safe as far as the counting goes; the wrapped machine is as thread-safe as it is.
 */
public final class GuardedMachine implements Machine {
  private final Machine machine;
  private final InstanceMemories instance;

  private GuardedMachine(Machine machine, InstanceMemories instance) {
    this.machine = machine;
    this.instance = instance;
  }

  /** A machine factory that guards what {@code factory} makes with {@code instance}'s counting. */
  public static Function<Instance, Machine> factory(
      Function<Instance, Machine> factory, InstanceMemories instance) {
    return created -> new GuardedMachine(factory.apply(created), instance);
  }

  @Override
  public long[] call(int funcId, long[] args) throws ChicoryException {
    instance.enter();
    try {
      return machine.call(funcId, args);
    } finally {
      instance.exit();
    }
  }

  // The methods below exist in Endive's Machine only; its generated sources uncomment them.
  // endive: @Override
  // endive: public long[] call(int funcId, long[] args, Object[] refs) {
  // endive:   instance.enter();
  // endive:   try {
  // endive:     return machine.call(funcId, args, refs);
  // endive:   } finally {
  // endive:     instance.exit();
  // endive:   }
  // endive: }
  // endive:
  // endive: @Override
  // endive: public com.dylibso.chicory.runtime.CallResult callWithRefs(
  // endive:     int funcId, long[] args, Object[] refs) {
  // endive:   instance.enter();
  // endive:   try {
  // endive:     return machine.callWithRefs(funcId, args, refs);
  // endive:   } finally {
  // endive:     instance.exit();
  // endive:   }
  // endive: }
  // endive:
  // endive: @Override
  // endive: public void close() {
  // endive:   machine.close();
  // endive: }
}
