package dev.slotpool.chicory;

/**
 * What a {@link WasmInstancePool}'s instances do across threads, as of one moment.
 *
 * @param running instances with a call running in them now; {@link
 *     dev.slotpool.memory.PoolStats#inUse()} counts the slots leased, running or not
 * @param closedFromAnotherThread closes on another thread than the one that last called into the
 *     instance (or created it): the hand-offs of asynchronous code, and watchdogs
 * @param cancelled closes that found a call running on another thread and cancelled it
 */
public record InstanceStats(int running, long closedFromAnotherThread, long cancelled) {}
