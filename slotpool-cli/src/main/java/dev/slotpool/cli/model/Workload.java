package dev.slotpool.cli.model;

import java.util.SplittableRandom;

/**
 * Where allocation requests come from: which key (module) each allocation asks for.
 *
 * <p>Keys are ints in {@code [0, keys())}; the simulator maps them to preallocated key objects so
 * that no step allocates. Implementations are immutable and thread-safe: all state is in the random
 * generator the caller passes.
 */
public interface Workload {

  /** The number of distinct keys. */
  int keys();

  /**
   * Draws the key of the next allocation.
   *
   * @param random the caller's generator
   * @param step the caller's step number, from 0
   * @param steps how many steps the caller runs in all (phased workloads split them into phases)
   */
  int nextKey(SplittableRandom random, long step, long steps);

  /** A short description for reports, such as {@code zipf(s=1.0)}. */
  String describe();
}
