package dev.slotpool.cli;

/** The pool's reset policies, as {@code --reset} names them (simulate, tune). */
enum Reset {
  /** Every written page kept resident within a pool-wide budget (the pool's default). */
  adaptive,
  /** At most a fixed number of bytes kept resident per freed slot (Wasmtime's knob). */
  fixed
}
