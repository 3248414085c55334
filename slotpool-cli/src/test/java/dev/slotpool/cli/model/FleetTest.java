package dev.slotpool.cli.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FleetTest {
  private static SimResult fleet(Router.Kind routing, int hosts) {
    Workload zipf = Workloads.generated("zipf", 400, 1, 0.2, 0.8, 1, 9);
    Simulator.Config config =
        Simulator.Config.generated(
                zipf,
                new StepModel.Steady(
                    StepModel.Arrivals.POISSON, 0.5 * 100 * hosts, ServiceTime.EXP, 20_000),
                100,
                200_000,
                9)
            .withFleet(hosts, routing, 0.25);
    return new Simulator(config)
        .run(Policy.Kind.AFFINITY, 16, MemoryModel.adaptive(32L << 20), new AtomicLong());
  }

  @Test
  void hashRouting_sendsEveryKeyToOneHost() {
    Router router = new Router(Router.Kind.HASH, 8, 1000, 0.25, 1);
    int[] load = new int[8];
    for (int k = 0; k < 1000; k++) {
      int host = router.route(k, new SplittableRandom(k), load, 0);
      assertThat(router.route(k, new SplittableRandom(k + 1), load, 0)).isEqualTo(host);
    }
  }

  @Test
  void boundedHash_neverLetsAHostPassTheBound() {
    Router router = new Router(Router.Kind.BOUNDED_HASH, 4, 10, 0.25, 1);
    int[] inFlight = new int[4];
    long total = 0;
    SplittableRandom random = new SplittableRandom(2);
    for (int i = 0; i < 400; i++) {
      int host = router.route(0, random, inFlight, total); // one hot key
      inFlight[host]++;
      total++;
      long bound = (long) Math.ceil(1.25 * total / 4);
      for (int load : inFlight) {
        assertThat((long) load).isLessThanOrEqualTo(bound);
      }
    }
  }

  @Test
  void moduleAffineRouting_hitsMoreThanRandomRouting() {
    SimResult random = fleet(Router.Kind.RANDOM, 4);
    SimResult bounded = fleet(Router.Kind.BOUNDED_HASH, 4);
    SimResult roundRobin = fleet(Router.Kind.ROUND_ROBIN, 4);

    assertThat(bounded.hitRate()).isGreaterThan(random.hitRate() + 0.05);
    assertThat(bounded.fleet().hosts()).isEqualTo(4);
    assertThat(roundRobin.fleet().imbalance()).isLessThan(1.01);
    assertThat(bounded.fleet().peakInFlightImbalance()).isLessThan(1.5);
    assertThat(bounded.fleet().peakResidentPerHost()).isLessThanOrEqualTo(32L << 20);
    assertThat(bounded.hits() + bounded.coldAllocs() + bounded.evictions())
        .isEqualTo(bounded.allocs());
  }
}
