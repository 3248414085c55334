/**
 * The {@code slotpool} command: simulate a workload against the real allocators, tune a pool, and
 * benchmark the allocators.
 */
// XChart is an automatic module (it names itself in its manifest); nothing here re-exports it.
@SuppressWarnings("requires-automatic")
module dev.slotpool.cli {
  requires dev.slotpool.index;
  requires dev.slotpool.memory;
  requires dev.slotpool.chicory;
  requires com.dylibso.chicory.wasi;
  requires com.dylibso.chicory.log; // a WASI context's logger
  requires com.dylibso.chicory.compiler;
  requires quickjs4j; // slotpool bench: QuickJS, an automatic module
  requires dev.slotpool.endive;
  requires run.endive.wasi;
  requires run.endive.log;
  requires transitive info.picocli; // Slotpool.commandLine() returns a CommandLine
  requires org.knowm.xchart;
  requires VectorGraphics2D;
  requires java.desktop;
  requires jdk.management; // bench wasm: whether HotSpot compiles huge methods

  exports dev.slotpool.cli;

  opens dev.slotpool.cli to
      info.picocli;
}
