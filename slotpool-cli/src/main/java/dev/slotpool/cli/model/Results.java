package dev.slotpool.cli.model;

import java.util.List;

/** Sums the workers' counters of one run into a {@link SimResult}. Stateless. */
final class Results {
  private Results() {}

  static SimResult combine(
      Simulator.Config config,
      Policy.Kind kind,
      int maxWarm,
      MemoryModel memory,
      Simulator.Fleet fleet,
      List<Simulator.Worker> workers) {
    long steps = 0;
    long allocs = 0;
    long hits = 0;
    long cold = 0;
    long evictions = 0;
    long failures = 0;
    long retries = 0;
    double warmSum = 0;
    double residentSum = 0;
    long peakWarm = 0;
    long peakResident = 0;
    double cost = 0;
    double area = 0;
    double time = 0;
    long peakInFlight = 0;
    for (Simulator.Worker w : workers) {
      steps += w.steps;
      allocs += w.allocs;
      hits += w.hits;
      cold += w.cold;
      evictions += w.evictions;
      failures += w.failures;
      retries += w.retries;
      warmSum += w.warmSum;
      residentSum += w.residentSum;
      peakWarm = Math.max(peakWarm, w.peakWarm);
      peakResident = Math.max(peakResident, w.peakResident);
      cost += w.cost;
      area += w.inFlightArea;
      time += w.measuredTime;
      peakInFlight = Math.max(peakInFlight, w.peakInFlight);
    }
    long decommits = 0;
    long maxRouted = 0;
    long sumRouted = 0;
    long maxPeak = 0;
    long sumPeak = 0;
    long peakPerHost = 0;
    for (Host host : fleet.hosts) {
      decommits += host.memory.decommits;
      maxRouted = Math.max(maxRouted, host.routed);
      sumRouted += host.routed;
      maxPeak = Math.max(maxPeak, host.peakInFlight);
      sumPeak += host.peakInFlight;
      peakPerHost = Math.max(peakPerHost, host.memory.peakBytes);
    }
    int n = fleet.hosts.length;
    SimResult.FleetFigures figures =
        new SimResult.FleetFigures(
            n,
            sumRouted == 0 ? 1 : (double) maxRouted * n / sumRouted,
            sumPeak == 0 ? 1 : (double) maxPeak * n / sumPeak,
            peakPerHost);
    return new SimResult(
        kind.label(),
        kind.usesThreshold() ? maxWarm : -1,
        memory,
        config.slots(),
        config.keys(),
        steps,
        allocs,
        hits,
        cold,
        evictions,
        failures,
        steps == 0 ? 0 : warmSum / steps,
        peakWarm,
        steps == 0 ? 0 : residentSum / steps,
        peakResident,
        cost,
        decommits,
        time > 0 ? area / time : -1,
        peakInFlight,
        figures,
        retries);
  }
}
