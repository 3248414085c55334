package dev.slotpool.chicory;

import static dev.slotpool.testkit.wasm.TestModules.bytes;
import static dev.slotpool.testkit.wasm.WasmBuilder.I32;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import dev.slotpool.testkit.wasm.WasmBuilder;
import dev.slotpool.testkit.wasm.WasmBuilder.Code;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Modules and checks for the lifecycle, cancellation and failure-path tests. */
final class LifecycleModules {
  private LifecycleModules() {}

  /** The image every {@link #image(int)} module holds at offset 16. */
  static final byte[] IMAGE = bytes("the module's own image");

  /**
   * {@code pages} pages with {@link #IMAGE} at 16; {@code scribble(addr, n)} writes {@code 0xEE} to
   * {@code n} bytes from {@code addr}; {@code spin(addr)} increments the i32 at {@code addr}
   * forever (a runaway request that touches memory); {@code smear(n)} fills the first {@code n}
   * bytes forever (a runaway request inside bulk operations); {@code burn()} loops forever without
   * touching memory (only an interrupt stops it).
   */
  static WasmModule image(int pages) {
    var b = new WasmBuilder();
    b.memory(pages, -1).exportMemory("memory");
    b.function(
        "scribble",
        new byte[] {I32, I32},
        new byte[0],
        new Code().localGet(0).i32Const(0xEE).localGet(1).memoryFill());
    b.function(
        "spin",
        new byte[] {I32},
        new byte[0],
        new Code()
            .loop()
            .localGet(0)
            .localGet(0)
            .memOp(0x28, 0)
            .i32Const(1)
            .i32Add()
            .memOp(0x36, 0)
            .br(0)
            .endBlock());
    b.function("burn", new byte[0], new byte[0], new Code().loop().br(0).endBlock());
    b.function(
        "smear",
        new byte[] {I32},
        new byte[0],
        new Code().loop().i32Const(0).i32Const(0xEE).localGet(0).memoryFill().br(0).endBlock());
    b.function("grow", new byte[] {I32}, new byte[] {I32}, new Code().localGet(0).memoryGrow());
    b.function("size", new byte[0], new byte[] {I32}, new Code().memorySize());
    b.activeData(0, 16, IMAGE);
    return Parser.parse(b.build());
  }

  /** {@code pages} pages and no data segment (no image); {@code scribble} as in {@link #image}. */
  static WasmModule plain(int pages) {
    var b = new WasmBuilder();
    b.memory(pages, -1).exportMemory("memory");
    b.function(
        "scribble",
        new byte[] {I32, I32},
        new byte[0],
        new Code().localGet(0).i32Const(0xEE).localGet(1).memoryFill());
    return Parser.parse(b.build());
  }

  /**
   * A module without memory whose export {@code call} calls the import {@code env.host} once and
   * then loops forever (only an interrupt stops it).
   */
  static WasmModule hostCall() {
    return Parser.parse(
        new byte[] {
          0x00,
          0x61,
          0x73,
          0x6d,
          0x01,
          0x00,
          0x00,
          0x00, // magic, version
          0x01,
          0x04,
          0x01,
          0x60,
          0x00,
          0x00, // type 0: [] -> []
          0x02,
          0x0c,
          0x01,
          0x03,
          'e',
          'n',
          'v',
          0x04,
          'h',
          'o',
          's',
          't',
          0x00,
          0x00, // import
          0x03,
          0x02,
          0x01,
          0x00, // function 1: type 0
          0x07,
          0x08,
          0x01,
          0x04,
          'c',
          'a',
          'l',
          'l',
          0x00,
          0x01, // export "call" = function 1
          0x0a,
          0x0b,
          0x01,
          0x09,
          0x00,
          0x10,
          0x00,
          0x03,
          0x40,
          0x0c,
          0x00,
          0x0b,
          0x0b // code
        });
  }

  /** The {@code env.host} import of {@link #hostCall()}, running {@code body}. */
  static ImportValues hostImport(Runnable body) {
    return ImportValues.builder()
        .addFunction(
            new HostFunction(
                "env",
                "host",
                FunctionType.empty(),
                (instance, args) -> {
                  body.run();
                  return null;
                }))
        .build();
  }

  /** A module whose start function writes a marker at 0 and then traps. */
  static WasmModule trappingStart() {
    var b = new WasmBuilder();
    b.memory(1, -1).exportMemory("memory");
    b.function(
        "start",
        new byte[0],
        new byte[0],
        new Code().i32Const(0).i32Const(0xEE).i32Const(4096).memoryFill().unreachable());
    b.startWithLastFunction();
    b.activeData(0, 8, bytes("start data"));
    return Parser.parse(b.build());
  }

  /** A module that imports a global nobody provides, with a data segment. */
  static WasmModule missingImport() {
    var b = new WasmBuilder();
    b.importGlobalI32("env", "absent");
    b.memory(1, -1).exportMemory("memory");
    b.activeData(0, 0, bytes("never readable"));
    return Parser.parse(b.build());
  }

  /** A module with two memories (multi-memory), each with a segment. */
  static WasmModule twoMemories() {
    var b = new WasmBuilder();
    b.memory(1, -1).exportMemory("memory");
    b.memory(1, -1);
    b.activeData(0, 0, bytes("first memory's data"));
    b.activeData(1, 0, bytes("second memory's data"));
    return Parser.parse(b.build());
  }

  /** A module with a 0-page memory that can grow to 2. */
  static WasmModule zeroPages() {
    var b = new WasmBuilder();
    b.memory(0, 2).exportMemory("memory");
    b.function("grow", new byte[] {I32}, new byte[] {I32}, new Code().localGet(0).memoryGrow());
    b.function("size", new byte[0], new byte[] {I32}, new Code().memorySize());
    b.function("load", new byte[] {I32}, new byte[] {I32}, new Code().localGet(0).memOp(0x2D, 0));
    return Parser.parse(b.build());
  }

  /**
   * The offset of the first byte of {@code instance}'s memory that is neither zero nor its module's
   * image ({@code image} at {@code imageOffset}), or -1: a full scan for anything a previous user
   * could have left.
   */
  static long foreignByte(Instance instance, byte[] image, int imageOffset) {
    Memory memory = instance.memory();
    byte[] all = memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE);
    for (int i = 0; i < all.length; i++) {
      int rel = i - imageOffset;
      byte expected = (image != null && rel >= 0 && rel < image.length) ? image[rel] : 0;
      if (all[i] != expected) {
        return i;
      }
    }
    return -1;
  }

  /** The number of open file descriptors of this process. */
  static long openFds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The number of memfd files this process has open (memory images). */
  static long openMemfds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(LifecycleModules::isMemfd).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isMemfd(Path fd) {
    try {
      return Files.readSymbolicLink(fd).toString().startsWith("/memfd:");
    } catch (IOException e) {
      return false; // closed while listing
    }
  }
}
