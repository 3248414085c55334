package dev.slotpool.chicory.snapshot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Binary test modules shaped as C and Rust reactors: an exported {@code _initialize} that sets up
 * memory, globals and a table before any request, plus the variants a snapshot must refuse.
 */
final class ReactorModules {
  private ReactorModules() {}

  /**
   * A reactor with: memory 1..4 pages; globals {@code counter} (mut i32 0), {@code seed} (mut i64
   * 7), a constant i32 42; a funcref table of 2..8 filled by an active element segment with {@code
   * one}; a passive element segment [{@code two}]; an active data segment "hello" at 16 and a
   * passive "world". {@code _initialize} stores 12345 at 100, sets counter to 10, triples seed,
   * puts {@code two} in table slot 0, drops both passive segments and grows memory by a page. With
   * {@code start}, a start function adds 1 to the i32 at 400 each time it runs.
   *
   * <p>Exports: {@code work(i32)->i32} (counter += x; stores counter at 200; returns counter +
   * [100] + table[0]() + memory.size), {@code peek(i32)->i32}, {@code init_passive()->i32} and
   * {@code table_init()->i32} (trap once the segments are dropped), {@code seed()->i64}, {@code
   * memory}.
   */
  static byte[] reactor(boolean start) {
    var types =
        vec(
            b(0x60, 0, 0), // 0: () -> ()
            b(0x60, 0, 1, 0x7F), // 1: () -> i32
            b(0x60, 1, 0x7F, 1, 0x7F), // 2: (i32) -> i32
            b(0x60, 0, 1, 0x7E)); // 3: () -> i64
    var funcs = vec(b(0), b(2), b(1), b(1), b(2), b(1), b(3), b(0), b(1));
    var table = vec(b(0x70, 0x01, 2, 8));
    var memory = vec(b(0x01, 1, 4));
    var globals =
        vec(b(0x7F, 1, 0x41, 0, 0x0B), b(0x7E, 1, 0x42, 7, 0x0B), b(0x7F, 0, 0x41, 42, 0x0B));
    var exports =
        vec(
            export("_initialize", 0, 0),
            export("work", 0, 1),
            export("peek", 0, 4),
            export("init_passive", 0, 5),
            export("seed", 0, 6),
            export("table_init", 0, 8),
            export("memory", 2, 0));
    var elements = vec(b(0x00, 0x41, 0, 0x0B, 2, 2, 2), b(0x01, 0x00, 1, 3));
    var bodies =
        vec(
            body( // 0: _initialize
                0x41, 0xE4, 0x00, 0x41, 0xB9, 0xE0, 0x00, 0x36, 2, 0, // [100] = 12345
                0x41, 10, 0x24, 0, // counter = 10
                0x23, 1, 0x42, 3, 0x7E, 0x24, 1, // seed *= 3
                0x41, 0, 0xD2, 3, 0x26, 0, // table[0] = two
                0xFC, 9, 1, // data.drop 1
                0xFC, 13, 1, // elem.drop 1
                0x41, 1, 0x40, 0, 0x1A), // memory.grow 1
            body( // 1: work
                0x23, 0, 0x20, 0, 0x6A, 0x24, 0, // counter += x
                0x41, 0xC8, 0x01, 0x23, 0, 0x36, 2, 0, // [200] = counter
                0x23, 0, 0x41, 0xE4, 0x00, 0x28, 2, 0, 0x6A, // counter + [100]
                0x41, 0, 0x11, 1, 0, 0x6A, // + table[0]()
                0x3F, 0, 0x6A), // + memory.size
            body(0x41, 1), // 2: one
            body(0x41, 2), // 3: two
            body(0x20, 0, 0x28, 2, 0), // 4: peek
            body(0x41, 0xAC, 0x02, 0x41, 0, 0x41, 5, 0xFC, 8, 1, 0, 0x41, 0), // 5: init_passive
            body(0x23, 1), // 6: seed
            body( // 7: start: [400] += 1
                0x41, 0x90, 0x03, 0x41, 0x90, 0x03, 0x28, 2, 0, 0x41, 1, 0x6A, 0x36, 2, 0),
            body(0x41, 1, 0x41, 0, 0x41, 1, 0xFC, 12, 1, 0, 0x41, 0)); // 8: table_init
    var data =
        vec(concat(b(0x00, 0x41, 16, 0x0B, 5), ascii("hello")), concat(b(0x01, 5), ascii("world")));
    var out = new ByteArrayOutputStream();
    out.writeBytes(b(0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00));
    section(out, 1, types);
    section(out, 3, funcs);
    section(out, 4, table);
    section(out, 5, memory);
    section(out, 6, globals);
    section(out, 7, exports);
    if (start) {
      section(out, 8, b(7));
    }
    section(out, 9, elements);
    section(out, 12, b(2));
    section(out, 10, bodies);
    section(out, 11, data);
    return out.toByteArray();
  }

  /** A module whose only memory is shared (threads proposal). */
  static byte[] sharedMemory() {
    var out = header();
    section(out, 5, vec(b(0x03, 1, 1)));
    return out.toByteArray();
  }

  /** A module that imports {@code env.<name>} of the given import kind and descriptor bytes. */
  static byte[] importing(String name, int... descriptor) {
    var out = header();
    section(out, 2, vec(concat(name("env"), name(name), b(descriptor))));
    return out.toByteArray();
  }

  /**
   * A module with an externref table of 1 entry, or with a mutable externref global, and an export
   * {@code set(externref)} that stores its argument there.
   */
  static byte[] externref(boolean inTable) {
    var out = header();
    section(out, 1, vec(b(0x60, 1, 0x6F, 0)));
    section(out, 3, vec(b(0)));
    if (inTable) {
      section(out, 4, vec(b(0x6F, 0x00, 1)));
    } else {
      section(out, 6, vec(b(0x6F, 1, 0xD0, 0x6F, 0x0B)));
    }
    section(out, 7, vec(export("set", 0, 0)));
    section(out, 10, vec(inTable ? body(0x41, 0, 0x20, 0, 0x26, 0) : body(0x20, 0, 0x24, 0)));
    return out.toByteArray();
  }

  private static ByteArrayOutputStream header() {
    var out = new ByteArrayOutputStream();
    out.writeBytes(b(0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00));
    return out;
  }

  private static byte[] export(String name, int kind, int index) {
    return concat(name(name), b(kind, index));
  }

  private static byte[] body(int... code) {
    byte[] inner = concat(b(0), b(code), b(0x0B));
    return concat(b(inner.length), inner);
  }

  private static void section(ByteArrayOutputStream out, int id, byte[] contents) {
    out.write(id);
    out.writeBytes(u32(contents.length));
    out.writeBytes(contents);
  }

  private static byte[] vec(byte[]... items) {
    var out = new ByteArrayOutputStream();
    out.writeBytes(u32(items.length));
    for (byte[] item : items) {
      out.writeBytes(item);
    }
    return out.toByteArray();
  }

  private static byte[] name(String s) {
    byte[] bytes = ascii(s);
    return concat(u32(bytes.length), bytes);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] u32(int value) {
    var out = new ByteArrayOutputStream();
    int v = value;
    do {
      int low = v & 0x7F;
      v >>>= 7;
      out.write(v != 0 ? low | 0x80 : low);
    } while (v != 0);
    return out.toByteArray();
  }

  private static byte[] b(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    var out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
