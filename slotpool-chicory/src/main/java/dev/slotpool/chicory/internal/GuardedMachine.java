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
  private final Function<Instance, Machine> factory;
  private final Instance owner;
  private Machine machine;
  private volatile InstanceMemories instance;
  private volatile boolean failed;

  private GuardedMachine(
      Function<Instance, Machine> factory, Instance owner, InstanceMemories instance) {
    this.factory = factory;
    this.owner = owner;
    this.machine = factory.apply(owner);
    this.instance = instance;
  }

  /** A machine factory that guards what {@code factory} makes with {@code instance}'s counting. */
  public static Function<Instance, Machine> factory(
      Function<Instance, Machine> factory, InstanceMemories instance) {
    return created -> new GuardedMachine(factory, created, instance);
  }

  /**
   * Counts the calls of a recycled instance's next request with {@code next}; after a call that
   * ended with an exception (a trap, a cancellation, a host function's exception), also replaces
   * the runtime's machine by a new one, since an interpreter keeps the frames and operands of a
   * call that did not return. Only while no call runs.
   */
  public void recycle(InstanceMemories next) {
    if (failed) {
      machine = factory.apply(owner);
      failed = false;
    }
    instance = next;
  }

  @Override
  public long[] call(int funcId, long[] args) throws ChicoryException {
    InstanceMemories counting = instance;
    counting.enter();
    try {
      return machine.call(funcId, args);
    } catch (RuntimeException | Error e) {
      failed = true;
      throw e;
    } finally {
      counting.exit();
    }
  }

  // The methods below exist in Endive's Machine only; its generated sources uncomment them.
  // endive: @Override
  // endive: public long[] call(int funcId, long[] args, Object[] refs) {
  // endive:   InstanceMemories counting = instance;
  // endive:   counting.enter();
  // endive:   try {
  // endive:     return machine.call(funcId, args, refs);
  // endive:   } catch (RuntimeException | Error e) {
  // endive:     failed = true;
  // endive:     throw e;
  // endive:   } finally {
  // endive:     counting.exit();
  // endive:   }
  // endive: }
  // endive:
  // endive: @Override
  // endive: public com.dylibso.chicory.runtime.CallResult callWithRefs(
  // endive:     int funcId, long[] args, Object[] refs) {
  // endive:   InstanceMemories counting = instance;
  // endive:   counting.enter();
  // endive:   try {
  // endive:     return machine.callWithRefs(funcId, args, refs);
  // endive:   } catch (RuntimeException | Error e) {
  // endive:     failed = true;
  // endive:     throw e;
  // endive:   } finally {
  // endive:     counting.exit();
  // endive:   }
  // endive: }
  // endive:
  // endive: @Override
  // endive: public void close() {
  // endive:   machine.close();
  // endive: }
}
