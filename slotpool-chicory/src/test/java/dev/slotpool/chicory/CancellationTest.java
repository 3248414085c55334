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
    instance.get().close(); // the watchdog
    request.join();
    return outcome.get();
  }

  @Test
  void watchdogClose_spinningOnMemory_requestFailsClearly_slotReturned_noInterruptLeft()
      throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).threadConfined(true).build()) {
      Outcome outcome = cancelRunning(pool, "spin");
      assertThat(outcome.failure())
          .satisfiesAnyOf(
              f ->
                  assertThat(f)
                      .isInstanceOf(IllegalStateException.class)
                      .hasMessageContaining("closed by another thread"),
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
    try (var pool = WasmInstancePool.builder().slots(1).threadConfined(true).build()) {
      Outcome outcome = cancelRunning(pool, "burn");
      assertThat(outcome.failure()).isInstanceOf(ChicoryInterruptedException.class);
      assertThat(outcome.interruptedAfterClose()).isFalse();
      assertThat(pool.stats().inUse()).isZero();
    }
  }

  @Test
  void watchdogClose_afterTheOwnerClosed_doesNothing_noInterrupt() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).threadConfined(true).build()) {
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
  void confinedInstance_growFromAnotherThread_throwsWrongThread_changesNothing() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).threadConfined(true).build()) {
      var pooled = pool.instantiate(MODULE);
      var memory = pooled.instance().memory();
      var live = new AtomicReference<Throwable>();
      var revoked = new AtomicReference<Throwable>();
      Thread other =
          new Thread(
              () -> {
                live.set(catchThrowable(() -> memory.grow(1)));
                pooled.close(); // revokes: the owner must still release
                revoked.set(catchThrowable(() -> memory.grow(1)));
              });
      other.start();
      while (other.isAlive()) {
        Thread.onSpinWait(); // not join(): the revocation interrupts this thread, the owner
      }
      for (Throwable t : List.of(live.get(), revoked.get())) {
        assertThat(t) // refused before touching the lease or releasing anything
            .isInstanceOf(WrongThreadException.class)
            .hasMessageContaining("which instantiated it");
      }
      assertThat(memory.pages()).isEqualTo(1);
      assertThat(pool.stats().inUse()).as("only the owner releases").isOne();
      assertThat(catchThrowable(() -> memory.grow(1)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed by another thread");
      assertThat(Thread.interrupted()).as("the revocation's interrupt, cleared").isFalse();
      assertThat(pool.stats().inUse()).isZero();
    }
  }

  @Test
  void sharedPool_crossThreadClose_releasesAtOnce_runningRequestFails() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).threadConfined(false).build()) {
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
      assertThat(pool.stats().inUse()).as("released by the closing thread").isZero();
      request.join();
      assertThat(failure.get()).isInstanceOf(IllegalStateException.class);
      assertThat(interrupted.get()).as("interrupt flag").isFalse();
      try (var next = pool.instantiate(MODULE)) {
        assertThat(foreignByte(next.instance(), IMAGE, 16)).isEqualTo(-1);
      }
    }
  }

  /**
   * Closing a shared arena while another thread is inside a bulk access of it (here Chicory's
   * {@code memory.fill}) makes HotSpot end that access with an asynchronous exception and set the
   * thread's interrupt flag: the pool must clear it. Repeated, since the close must land inside a
   * fill to matter.
   */
  @Test
  void sharedPool_closeDuringBulkAccess_requestFails_noInterruptLeft() throws Exception {
    try (var pool = WasmInstancePool.builder().slots(1).threadConfined(false).build()) {
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
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("is closed");
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
    try (var pool = WasmInstancePool.builder().slots(workers).threadConfined(true).build()) {
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
      boolean cancelled =
          failure instanceof ChicoryInterruptedException
              || (failure instanceof IllegalStateException
                  && failure.getMessage().contains("closed by another thread"));
      if (!cancelled) {
        throw new AssertionError("runaway request ended with " + failure, failure);
      }
      killed.incrementAndGet();
    }
  }
}
