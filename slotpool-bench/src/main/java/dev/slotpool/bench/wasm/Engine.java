package dev.slotpool.bench.wasm;

/** How Chicory runs a module's code. */
public enum Engine {
  /** Chicory's interpreter ({@code InterpreterMachine}, the default). */
  INTERPRETER,
  /**
   * Java bytecode: Chicory's runtime compiler ({@code MachineFactoryCompiler}, compiled once per
   * module), or the machine the module's artifact compiled at build time (QuickJS, SQLite), whose
   * {@code .meta} module carries no runnable code for the interpreter.
   */
  COMPILER
}
