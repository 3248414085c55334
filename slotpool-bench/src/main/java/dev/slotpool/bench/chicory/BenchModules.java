package dev.slotpool.bench.chicory;

import java.io.ByteArrayOutputStream;

/**
 * Writes the benchmark modules in the WebAssembly binary format, so that no .wasm file has to ship
 * with the benchmarks.
 */
final class BenchModules {
  private BenchModules() {}

  /**
   * A module whose memory (data plus one page, no maximum) holds {@code dataBytes} of non-zero data
   * at offset 0, exporting {@code run(addr) -> i32.load8_u(addr)}.
   */
  static byte[] withData(int dataBytes) {
    byte[] data = new byte[dataBytes];
    for (int i = 0; i < dataBytes; i++) {
      data[i] = (byte) (1 + i % 251);
    }
    int pages = dataBytes / 65_536 + 1;
    var out = header();
    section(out, 1, new Out().u32(1).u8(0x60).u32(1).u8(0x7F).u32(1).u8(0x7F)); // (i32)->i32
    section(out, 3, new Out().u32(1).u32(0));
    section(out, 5, new Out().u32(1).u8(0x00).u32(pages));
    section(out, 7, new Out().u32(1).name("run").u8(0x00).u32(0));
    // local.get 0, i32.load8_u align=0 offset=0, end
    byte[] body = {0x00, 0x20, 0x00, 0x2D, 0x00, 0x00, 0x0B};
    section(out, 10, new Out().u32(1).u32(body.length).bytes(body));
    section(
        out, 11, new Out().u32(1).u8(0x00).u8(0x41).u8(0x00).u8(0x0B).u32(data.length).bytes(data));
    return out.toByteArray();
  }

  /** The same export with no memory: {@code run(x) -> x}, to time Chicory's own setup alone. */
  static byte[] withoutMemory() {
    var out = header();
    section(out, 1, new Out().u32(1).u8(0x60).u32(1).u8(0x7F).u32(1).u8(0x7F));
    section(out, 3, new Out().u32(1).u32(0));
    section(out, 7, new Out().u32(1).name("run").u8(0x00).u32(0));
    byte[] body = {0x00, 0x20, 0x00, 0x0B};
    section(out, 10, new Out().u32(1).u32(body.length).bytes(body));
    return out.toByteArray();
  }

  private static Out header() {
    return new Out().bytes(new byte[] {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00});
  }

  private static void section(Out out, int id, Out body) {
    byte[] bytes = body.toByteArray();
    out.u8(id).u32(bytes.length).bytes(bytes);
  }

  private static final class Out extends ByteArrayOutputStream {
    Out u8(int b) {
      write(b);
      return this;
    }

    Out u32(long value) {
      long v = value;
      do {
        int b = (int) (v & 0x7F);
        v >>>= 7;
        write(v != 0 ? b | 0x80 : b);
      } while (v != 0);
      return this;
    }

    Out bytes(byte[] b) {
      writeBytes(b);
      return this;
    }

    Out name(String s) {
      byte[] b = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      return u32(b.length).bytes(b);
    }
  }
}
