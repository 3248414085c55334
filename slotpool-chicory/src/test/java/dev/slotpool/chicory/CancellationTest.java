package dev.slotpool.chicory;

import static dev.slotpool.chicory.LifecycleModules.IMAGE;
import static dev.slotpool.chicory.LifecycleModules.foreignByte;
import static dev.slotpool.chicory.LifecycleModules.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Closing a running instance from another thread (a watchdog): the running request fails, never
 * reaches the slot's next user, and no thread keeps an interrupt flag the pool set.
 */
class CancellationTest {
  private static final WasmModule MODULE = image(1);

  /** What the request thread saw. */
  private record Outcome(Throwable failure, boolean interruptedAfterClose, boolean closed) {}

  /**
   * Runs {@code export} of a fresh instance on a new thread and closes it from this thread once it
   * runs; returns what the request thread saw.
   */
  private static Outcome cancelRunning(WasmInstancePool pool, String export) throws Exception {
    var running = new CountDownLatch(1);
    var outcome = new AtomicReference<Outcome>();
    var instance = new AtomicReference<PooledInstance>();
    Thread request =
        new Thread(
            () -> {
              Throwable failure;
              PooledInstance pooled = pool.instantiate(MODULE);
              instance.set(pooled);
              try (pooled) {
                running.countDown();
                failure =
                    catchThrowable(
                        () -> {
                          if (export.equals("spin")) {
                            pooled.instance().export("spin").apply(64);
                          } else {
                            pooled.instance().export("burn").apply();
                          }
                        });
              }
              outcome.set(
                  new Outcome(failure, Thread.currentThread().isInterrupted(), pooled.isClosed()));
            });
    request.start();
    running.await();
    while (!instance.get().isRunning()) {
      Thread.onSpinWait(); // close mid-call, not before the call starts
    }
    instance.get().close(); // the watchdog
    request.join();
    return outcome.get();
  }

  @Test
  void watchdogClose_spinningOnMemory_requestFailsClearly_slotReturned_noInterruptLeft()
      throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      Outcome outcome = cancelRunning(pool, "spin");
      assertThat(outcome.failure())
          .satisfiesAnyOf(
              f ->
                  assertThat(f)
                      .isInstanceOf(IllegalStateException.class)
                      .hasMessageContaining("closed while this call ran"),
              f -> assertThat(f).isInstanceOf(ChicoryInterruptedException.class));
      assertThat(outcome.interruptedAfterClose()).as("interrupt flag after close").isFalse();
      assertThat(outcome.closed()).isTrue();
      assertThat(pool.stats().inUse()).isZero();
      try (var next = pool.instantiate(MODULE)) {
        assertThat(foreignByte(next.instance(), IMAGE, 16)).isEqualTo(-1);
      }
    }
  }

  @Test
  void watchdogClose_burningWithoutMemory_interruptStopsIt_andIsCleared() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      Outcome outcome = cancelRunning(pool, "burn");
      assertThat(outcome.failure()).isInstanceOf(ChicoryInterruptedException.class);
      assertThat(outcome.interruptedAfterClose()).isFalse();
      assertThat(pool.stats().inUse()).isZero();
    }
  }

  @Test
  void watchdogClose_afterTheOwnerClosed_doesNothing_noInterrupt() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      var pooled = pool.instantiate(MODULE);
      pooled.close();
      Thread watchdog = new Thread(pooled::close);
      watchdog.start();
      watchdog.join();
      assertThat(Thread.interrupted()).isFalse();
      assertThat(pool.stats().inUse()).isZero();
    }
  }

  @Test
  void watchdogClose_threadAlreadyInterrupted_keepsItsFlag_andIsNotInterruptedAgain()
      throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      var inHost = new CountDownLatch(1);
      var closed = new CountDownLatch(1);
      var pooled = new AtomicReference<PooledInstance>();
      var flagAfterClose = new AtomicReference<Boolean>();
      var failure = new AtomicReference<Throwable>();
      Thread request =
          new Thread(
              () -> {
                try (var instance =
                    pool.instantiate(
                        LifecycleModules.hostCall(),
                        b ->
                            b.withImportValues(
                                LifecycleModules.hostImport(
                                    () -> {
                                      inHost.countDown();
                                      // Waits without taking the flag: a latch's await would
                                      // clear it (InterruptedException) and so hide the caller's
                                      // interrupt from the close for a moment.
                                      while (closed.getCount() != 0) {
                                        LockSupport.parkNanos(100_000);
                                      }
                                    })))) {
                  pooled.set(instance);
                  failure.set(catchThrowable(() -> instance.instance().export("call").apply()));
                }
                flagAfterClose.set(Thread.currentThread().isInterrupted());
              });
      request.start();
      inHost.await();
      request.interrupt(); // Future.cancel(true), an executor's shutdownNow: not the pool's
      pooled.get().close(); // the watchdog
      closed.countDown();
      request.join();
      assertThat(failure.get()).isInstanceOf(ChicoryInterruptedException.class);
      assertThat(flagAfterClose.get()).as("the caller's own interrupt survives").isTrue();
      assertThat(pool.stats().inUse()).isZero();
      assertThat(pool.instanceStats().cancelled()).isEqualTo(1);
    }
  }

  /**
   * Two threads calling into one instance at once (Chicory does not forbid it): a close cancels
   * both, each thread's interrupt is cleared as its own call ends, and the instance counts as one
   * running instance throughout.
   */
  @Test
  void watchdogClose_twoThreadsInOneInstance_cancelsBoth_clearsBothInterrupts() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      var inHost = new CountDownLatch(2);
      var release = new CountDownLatch(1);
      var instance =
          pool.instantiate(
              LifecycleModules.hostCall(),
              b ->
                  b.withImportValues(
                      LifecycleModules.hostImport(
                          () -> {
                            inHost.countDown();
                            awaitUninterruptibly(release);
                          })));
      var failures = new ConcurrentLinkedQueue<Throwable>();
      var flags = new ConcurrentLinkedQueue<Boolean>();
      List<Thread> callers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        callers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      failures.add(
                          catchThrowable(() -> instance.instance().export("call").apply()));
                      flags.add(Thread.currentThread().isInterrupted());
                    }));
      }
      inHost.await();
      assertThat(pool.instanceStats().running()).isEqualTo(1);
      instance.close(); // interrupts both callers
      release.countDown();
      for (Thread caller : callers) {
        caller.join();
      }
      assertThat(failures).hasSize(2).allMatch(f -> f instanceof ChicoryInterruptedException);
      assertThat(flags).containsExactly(false, false);
      assertThat(pool.instanceStats().running()).isZero();
      assertThat(pool.instanceStats().cancelled()).isEqualTo(1);
      assertThat(instance.isRunning()).isFalse();
    }
  }

  @Test
  void closeFromAnotherThread_noCallRunning_releasesAtOnce_noInterruptAnywhere() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      var pooled = pool.instantiate(MODULE);
      pooled.instance().export("scribble").apply(0, 4096);
      Thread closer = new Thread(pooled::close);
      closer.start();
      closer.join();
      assertThat(pool.stats().inUse()).isZero();
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
      assertThat(pool.instanceStats().cancelled()).isZero();
      assertThat(catchThrowable(() -> pooled.instance().export("spin").apply(64)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is closed");
      try (var next = pool.instantiate(MODULE)) {
        assertThat(foreignByte(next.instance(), IMAGE, 16)).isEqualTo(-1);
      }
    }
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void crossThreadClose_whileRunning_slotWaitsForTheCall_thenComesBackClean() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      var pooled = pool.instantiate(MODULE);
      var failure = new AtomicReference<Throwable>();
      var interrupted = new AtomicReference<Boolean>();
      var running = new CountDownLatch(1);
      Thread request =
          new Thread(
              () -> {
                running.countDown();
                failure.set(catchThrowable(() -> pooled.instance().export("spin").apply(64)));
                interrupted.set(Thread.currentThread().isInterrupted());
              });
      request.start();
      running.await();
      pooled.close();
      request.join();
      assertThat(pool.stats().inUse()).as("released as the call left the instance").isZero();
      assertThat(failure.get())
          .satisfiesAnyOf(
              f -> assertThat(f).isInstanceOf(ChicoryInterruptedException.class),
              f -> assertThat(f).isInstanceOf(IllegalStateException.class));
      assertThat(interrupted.get()).as("interrupt flag").isFalse();
      try (var next = pool.instantiate(MODULE)) {
        assertThat(foreignByte(next.instance(), IMAGE, 16)).isEqualTo(-1);
      }
    }
  }

  /**
   * A close while the request runs bulk operations (Chicory's {@code memory.fill}) in a loop: the
   * request ends, with the pool's interrupt or the memory's exception, and keeps no interrupt.
   * Repeated, so that the close lands inside a fill now and then.
   */
  @Test
  void closeDuringBulkAccess_requestFails_noInterruptLeft() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).build()) {
      for (int round = 0; round < 40; round++) {
        var pooled = pool.instantiate(MODULE);
        var failure = new AtomicReference<Throwable>();
        var interrupted = new AtomicReference<Boolean>();
        var running = new CountDownLatch(1);
        Thread request =
            new Thread(
                () -> {
                  running.countDown();
                  failure.set(
                      catchThrowable(() -> pooled.instance().export("smear").apply(65_536)));
                  interrupted.set(Thread.currentThread().isInterrupted());
                });
        request.start();
        running.await();
        Thread.sleep(1);
        pooled.close();
        request.join();
        assertThat(interrupted.get()).as("interrupt flag after round %d", round).isFalse();
        assertThat(failure.get())
            .as("round %d", round)
            .satisfiesAnyOf(
                f -> assertThat(f).isInstanceOf(ChicoryInterruptedException.class),
                f ->
                    assertThat(f)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("is closed"));
        assertThat(pool.stats().inUse()).isZero();
      }
    }
  }

  /**
   * Under load: workers serve requests, some of them runaway (spinning on memory), and a watchdog
   * closes the runaway ones while the others run. Every new instance scans clean, no request ends
   * with an unexpected exception, and no worker keeps an interrupt flag.
   */
  @Test
  void watchdogUnderLoad_killsRunawayRequests_othersUnaffected_everyInstancePristine()
      throws Exception {
    int workers = 3;
    int requests = 300;
    try (var pool = WasmInstancePool.builder().slots(workers).build()) {
      var runaway = new ConcurrentLinkedQueue<PooledInstance>();
      var failures = new ConcurrentLinkedQueue<Throwable>();
      var killed = new AtomicInteger();
      var done = new CountDownLatch(workers);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        int seed = w;
        threads.add(
            new Thread(
                () -> {
                  var random = new SplittableRandom(seed);
                  try {
                    for (int i = 0; i < requests; i++) {
                      serve(pool, random.nextInt(4) == 0, runaway, killed);
                      if (Thread.interrupted()) {
                        throw new AssertionError("interrupt flag left after request " + i);
                      }
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  } finally {
                    done.countDown();
                  }
                }));
      }
      Thread watchdog =
          new Thread(
              () -> {
                while (done.getCount() > 0) {
                  PooledInstance victim = runaway.poll();
                  if (victim != null) {
                    victim.close();
                  } else {
                    Thread.onSpinWait();
                  }
                }
              });
      threads.forEach(Thread::start);
      watchdog.start();
      for (Thread t : threads) {
        t.join();
      }
      watchdog.join();
      assertThat(failures).isEmpty();
      assertThat(killed.get()).isPositive();
      assertThat(pool.stats().inUse()).isZero();
    }
  }

  private static void serve(
      WasmInstancePool pool,
      boolean runaway,
      ConcurrentLinkedQueue<PooledInstance> watchdog,
      AtomicInteger killed) {
    try (var pooled = pool.instantiate(MODULE)) {
      long foreign = foreignByte(pooled.instance(), IMAGE, 16);
      if (foreign != -1) {
        throw new AssertionError("foreign byte at " + foreign + " in slot " + pooled.slot());
      }
      pooled.instance().export("scribble").apply(0, 65_536);
      if (!runaway) {
        return;
      }
      watchdog.add(pooled);
      Throwable failure = catchThrowable(() -> pooled.instance().export("spin").apply(64));
      // Cancelled mid-call (the interrupt, or the memory's exception), or closed before the call
      // started (the call refused).
      boolean cancelled =
          failure instanceof ChicoryInterruptedException
              || (failure instanceof IllegalStateException
                  && failure.getMessage().contains("is closed"));
      if (!cancelled) {
        throw new AssertionError("runaway request ended with " + failure, failure);
      }
      killed.incrementAndGet();
    }
  }
}
