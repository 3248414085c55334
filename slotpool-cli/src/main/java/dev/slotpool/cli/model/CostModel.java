package dev.slotpool.cli.model;

import dev.slotpool.cli.input.BadInputException;

/**
 * Estimates what an instantiation costs, in microseconds, from how its slot was found.
 *
 * <p>An affinity hit costs {@code hit}; a cold slot {@code cold} (map the module's image); a warm
 * eviction {@code eviction} (reset the old module's state, then map the new image). On top, every
 * {@code pageSize} bytes of the request's working set ({@code --bytes-per-slot}) that the slot did
 * not keep resident costs {@code pageFault}: on a hit only the bytes beyond what was kept; on a
 * cold slot or an eviction all of them, unless {@code endToEnd} says the measured cold and eviction
 * costs already include those faults (costs measured by {@code slotpool bench wasm}: the whole
 * request, instantiate + call + close, with the working set faulted in by the module itself). The
 * defaults are round figures of the right order for a Linux pool with copy-on-write images;
 * measured ones are better.
 *
 * @param hit microseconds for an affinity hit
 * @param cold microseconds for a cold slot
 * @param eviction microseconds for a warm slot taken from another key
 * @param pageFault microseconds per page of working set faulted in
 * @param pageSize bytes per page
 * @param endToEnd whether cold and eviction include the working set's faults
 */
public record CostModel(
    double hit, double cold, double eviction, double pageFault, long pageSize, boolean endToEnd) {
  /** Costs of the right order for a Linux pool: 1, 20, 30 and 0.25 us with 4 KiB pages. */
  public static final CostModel DEFAULT = new CostModel(1, 20, 30, 0.25, 4096, false);

  /** Checks that every cost is finite and >= 0. */
  public CostModel {
    check("--cost-hit", hit);
    check("--cost-cold", cold);
    check("--cost-evict", eviction);
    check("--cost-page-fault", pageFault);
    if (pageSize < 1 || pageSize > 1L << 30) {
      throw new BadInputException("page size: " + pageSize + " (expected: 1 <= BYTES <= 1GiB)");
    }
  }

  private static void check(String option, double value) {
    if (!(value >= 0) || value > 1e12) {
      throw new BadInputException(option + ": " + value + " (expected: 0 <= US <= 1e12)");
    }
  }

  /** A cold slot for a request with {@code working} bytes of working set. */
  double coldCost(long working) {
    return endToEnd ? cold : cold + faults(working);
  }

  /** A slot taken from another key. */
  double evictionCost(long working) {
    return endToEnd ? eviction : eviction + faults(working);
  }

  /** A hit on a slot that kept {@code resident} bytes. */
  double hitCost(long working, long resident) {
    return hit + faults(working - resident);
  }

  /** The fault cost of bringing {@code bytes} of working set in. */
  double faults(long bytes) {
    return bytes <= 0 ? 0 : (bytes / pageSize + (bytes % pageSize == 0 ? 0 : 1)) * pageFault;
  }
}
