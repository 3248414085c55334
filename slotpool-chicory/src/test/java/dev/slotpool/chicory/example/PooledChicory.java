package dev.slotpool.chicory.example;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.slotpool.chicory.PooledInstance;
import dev.slotpool.chicory.WasmInstancePool;
import java.io.File;

/** The README's "Pooling Chicory instances" example, verbatim below the package line. */
public class PooledChicory {
  public static void main(String[] args) {
    // Parse once and keep the object: the pool recognises a module by its identity.
    WasmModule module = Parser.parse(new File(args[0]));
    // Each request runs on one thread, so leases may be thread-confined: much cheaper to return.
    try (var pool =
        WasmInstancePool.builder()
            .slots(8)
            .maxMemoryBytes(16 << 20) // the most any instance's memory may grow to
            .threadConfined(true)
            .build()) {
      for (String request : new String[] {"hello", "pooled", "world"}) {
        // One instance per request: after the first, a warm slot already holding the
        // module's data segments, so instantiating copies nothing.
        try (PooledInstance pooled = pool.instantiate(module)) {
          Instance instance = pooled.instance();
          instance.memory().writeString(1024, request);
          long sum = instance.export("sum").apply(1024, request.length())[0];
          String slot = pooled.reusedSlot() ? "warm" : "cold";
          System.out.println(request + " -> " + sum + " (" + slot + " slot)");
        } // the memory goes back to the pool, reset before anyone else can see it
      }
      System.out.println("affinity hits: " + pool.stats().affinityHits());
    }
  }
}
