package dev.slotpool.chicory;

import static dev.slotpool.chicory.LifecycleModules.IMAGE;
import static dev.slotpool.chicory.LifecycleModules.foreignByte;
import static dev.slotpool.chicory.LifecycleModules.image;
import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.memory.PoolExhaustedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/**
 * Threads mixing instantiate, close, purge, pool close and cancellation by a watchdog, over pools
 * that come and go; every new instance's memory is scanned in full for a previous user's bytes. The
 * only exceptions allowed are the documented ones: {@link IllegalStateException} once the pool is
 * closed or the instance cancelled, {@link PoolExhaustedException}, and Chicory's interruption of a
 * cancelled request. Seeded, so a failure reproduces its schedule as far as threads allow.
 */
class LifecycleStressTest {
  private static final int ROUNDS = 30;
  private static final int WORKERS = 3;
  private static final int OPS = 300;

  @Test
  void mixedLifecycle_manyRounds_noUndocumentedException_noForeignByte() throws Exception {
    List<WasmModule> modules = List.of(image(1), image(2), image(1));
    long seed = 20261201L;
    for (int round = 0; round < ROUNDS; round++) {
      var pool =
          WasmInstancePool.builder()
              .slots(4)
              .maxMemoryBytes(4 << 16)
              .maxWait(Duration.ofMillis(5)) // waits race the closes, and never hold a round up
              .build();
      var failures = new ConcurrentLinkedQueue<Throwable>();
      var toCancel = new ConcurrentLinkedQueue<PooledInstance>();
      var start = new CyclicBarrier(WORKERS + 1);
      var done = new CountDownLatch(WORKERS);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        var random = new SplittableRandom(seed + round * 31L + w);
        threads.add(
            new Thread(
                () -> {
                  try {
                    start.await();
                    for (int i = 0; i < OPS; i++) {
                      step(pool, modules, random, toCancel);
                      if (Thread.interrupted()) {
                        throw new AssertionError("interrupt flag left by the pool");
                      }
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  } finally {
                    done.countDown();
                  }
                }));
      }
      var random = new SplittableRandom(seed - round);
      Thread chaos =
          new Thread(
              () -> {
                try {
                  start.await();
                  while (done.getCount() > 0) { // runaway requests end only when cancelled
                    PooledInstance victim = toCancel.poll();
                    if (victim != null) {
                      victim.close();
                    }
                    if (random.nextInt(200) == 0) {
                      pool.close();
                    }
                    Thread.onSpinWait();
                  }
                } catch (Throwable e) {
                  failures.add(e);
                }
              });
      threads.add(chaos);
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join();
      }
      pool.close();
      assertThat(failures).as("round %d", round).isEmpty();
    }
  }

  private static void step(
      WasmInstancePool pool,
      List<WasmModule> modules,
      SplittableRandom random,
      ConcurrentLinkedQueue<PooledInstance> toCancel) {
    WasmModule module = modules.get(random.nextInt(modules.size()));
    try {
      switch (random.nextInt(10)) {
        case 0 -> pool.purge(module);
        default -> {
          try (var pooled = pool.instantiate(module)) {
            long foreign = foreignByte(pooled.instance(), IMAGE, 16);
            if (foreign != -1) {
              throw new AssertionError("foreign byte at " + foreign + ", slot " + pooled.slot());
            }
            pooled.instance().export("scribble").apply(0, Memory.PAGE_SIZE);
            if (random.nextInt(4) == 0) {
              pooled.instance().export("grow").apply(1);
              pooled.instance().export("scribble").apply(0, 2 * Memory.PAGE_SIZE);
            }
            if (random.nextInt(5) == 0) {
              toCancel.add(pooled);
              pooled.instance().export("spin").apply(64); // ends when the chaos thread cancels
            }
          }
        }
      }
    } catch (IllegalStateException | PoolExhaustedException | ChicoryInterruptedException e) {
      // closed pool, cancelled instance, every slot busy: documented outcomes
    }
  }
}
