package dev.slotpool.chicory.internal;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The pieces of the WebAssembly binary format (core spec, chapter 5) that writing a snapshot as a
 * module needs: splitting a module into sections, re-encoding the memory, table, global, export,
 * element and data sections with some entries replaced, and encoding constant expressions.
 *
 * <p>Stateless and thread-safe. Malformed input throws {@link IllegalArgumentException}; what the
 * writer cannot re-encode throws {@link UnsupportedOperationException}.
 */
/*
 * Implementation notes
 *
 * Entries that are not rewritten are copied byte for byte: the reader only finds where each entry
 * ends, which for constant expressions means skipping instructions up to the final `end` (0x0B).
 * The constant instructions known are those of the core spec 2.0 plus extended-const (i32/i64
 * add, sub, mul) and v128.const; GC constant instructions (0xFB) are refused.
 */
public final class WasmBinary {
  private static final byte[] MAGIC = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};

  private WasmBinary() {}

  /** One section: its id and its payload (the bytes after its size). */
  public record Section(int id, byte[] payload) {}

  /** A value type as encoded: a single byte, or 0x63/0x64 followed by a heap type. */
  public record ValueType(byte[] bytes) {
    /** The first byte: the number type, or the short or long form of a reference type. */
    public int code() {
      return bytes[0] & 0xFF;
    }

    /** The heap type bytes of a reference type ({@code ref.null}'s immediate). */
    public byte[] heapType() {
      return code() == 0x63 || code() == 0x64 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    /** Whether it is a reference to functions (func, nofunc, or a defined function type). */
    public boolean isFunction() {
      int heap = heapType()[0] & 0xFF;
      boolean concrete = (heap & 0x80) != 0 || (heap & 0x40) == 0; // a type index (s33 >= 0)
      return heap == 0x70 || heap == 0x73 || concrete;
    }

    /** Wraps encoded bytes. */
    public static ValueType of(byte[] bytes) {
      return new ValueType(bytes);
    }
  }

  /** Gives the initialiser of the {@code i}-th defined mutable global, of type {@code type}. */
  @FunctionalInterface
  public interface GlobalValues {
    byte[] initializer(int i, ValueType type);
  }

  /** Splits a module into its sections, in order. */
  public static List<Section> sections(byte[] module) {
    if (module.length < 8 || !Arrays.equals(Arrays.copyOf(module, 8), MAGIC)) {
      throw new IllegalArgumentException("not a WebAssembly 1.0 module (bad magic or version)");
    }
    var r = new Reader(module, 8);
    var sections = new ArrayList<Section>();
    while (r.pos < module.length) {
      int id = r.u8();
      int size = r.u32();
      sections.add(new Section(id, r.bytes(size)));
    }
    return sections;
  }

  /** The memory section with each memory's minimum set to {@code pages}. */
  public static byte[] memorySection(byte[] payload, int[] pages) {
    var r = new Reader(payload, 0);
    var out = new ByteArrayOutputStream();
    int n = r.u32();
    out.writeBytes(u32(n));
    for (int i = 0; i < n; i++) {
      int flags = r.u8();
      if (flags > 1) {
        throw new UnsupportedOperationException(
            "memory "
                + i
                + " has limit flags 0x"
                + Integer.toHexString(flags)
                + " (expected: 0 or 1)");
      }
      r.u32();
      out.write(flags);
      out.writeBytes(u32(pages[i]));
      if (flags == 1) {
        out.writeBytes(u32(r.u32()));
      }
    }
    return out.toByteArray();
  }

  /**
   * The table section with each table's minimum set to {@code sizes}; stores each table's element
   * type in {@code types}.
   */
  public static byte[] tableSection(byte[] payload, int[] sizes, byte[][] types) {
    var r = new Reader(payload, 0);
    var out = new ByteArrayOutputStream();
    int n = r.u32();
    out.writeBytes(u32(n));
    for (int t = 0; t < n; t++) {
      boolean withInit = (r.peek() & 0xFF) == 0x40;
      if (withInit) {
        r.u8();
        r.u8();
        out.write(0x40);
        out.write(0x00);
      }
      types[t] = r.valueType();
      out.writeBytes(types[t]);
      int flags = r.u8();
      if (flags > 1) {
        throw new UnsupportedOperationException(
            "table "
                + t
                + " has limit flags 0x"
                + Integer.toHexString(flags)
                + " (expected: 0 or 1)");
      }
      r.u32();
      out.write(flags);
      out.writeBytes(u32(sizes[t]));
      if (flags == 1) {
        out.writeBytes(u32(r.u32()));
      }
      if (withInit) {
        int start = r.pos;
        r.skipExpr();
        out.write(payload, start, r.pos - start);
      }
    }
    return out.toByteArray();
  }

  /** The global section with every mutable global's initialiser from {@code values}. */
  public static byte[] globalSection(byte[] payload, GlobalValues values) {
    var r = new Reader(payload, 0);
    var out = new ByteArrayOutputStream();
    int n = r.u32();
    out.writeBytes(u32(n));
    for (int i = 0; i < n; i++) {
      byte[] type = r.valueType();
      int mutability = r.u8();
      int start = r.pos;
      r.skipExpr();
      out.writeBytes(type);
      out.write(mutability);
      if (mutability == 1) {
        out.writeBytes(values.initializer(i, ValueType.of(type)));
      } else {
        out.write(payload, start, r.pos - start);
      }
    }
    return out.toByteArray();
  }

  /** The export section without the exports named in {@code removed}. */
  public static byte[] exportSection(byte[] payload, Set<String> removed) {
    var r = new Reader(payload, 0);
    var kept = new ByteArrayOutputStream();
    int n = r.u32();
    int count = 0;
    for (int i = 0; i < n; i++) {
      int start = r.pos;
      String name = r.name();
      r.u8();
      r.u32();
      if (!removed.contains(name)) {
        kept.write(payload, start, r.pos - start);
        count++;
      }
    }
    var out = new ByteArrayOutputStream();
    out.writeBytes(u32(count));
    out.writeBytes(kept.toByteArray());
    return out.toByteArray();
  }

  /**
   * The element section (or an empty one if {@code payload} is null) with the passive segments
   * marked in {@code dropped} emptied and {@code appended} added at the end.
   */
  public static byte[] elementSection(byte[] payload, boolean[] dropped, List<byte[]> appended) {
    var body = new ByteArrayOutputStream();
    int n = 0;
    if (payload != null) {
      var r = new Reader(payload, 0);
      n = r.u32();
      for (int i = 0; i < n; i++) {
        int start = r.pos;
        int flags = r.u32();
        byte[] type = null;
        if (flags == 2 || flags == 6) {
          r.u32();
        }
        if ((flags & 1) == 0) {
          r.skipExpr();
        }
        if ((flags & 3) != 0) {
          if ((flags & 4) == 0) {
            r.u8();
          } else {
            type = r.valueType();
          }
        }
        int count = r.u32();
        for (int j = 0; j < count; j++) {
          if ((flags & 4) == 0) {
            r.u32();
          } else {
            r.skipExpr();
          }
        }
        boolean passive = flags == 1 || flags == 5;
        if (passive && i < dropped.length && dropped[i]) {
          if (flags == 1) {
            body.writeBytes(new byte[] {0x01, 0x00, 0x00});
          } else {
            body.write(0x05);
            body.writeBytes(type);
            body.write(0x00);
          }
        } else {
          body.write(payload, start, r.pos - start);
        }
      }
    }
    var out = new ByteArrayOutputStream();
    out.writeBytes(u32(n + appended.size()));
    out.writeBytes(body.toByteArray());
    appended.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** An active element segment writing {@code entries} (constant expressions) from index 0. */
  public static byte[] activeElements(int table, byte[] type, byte[][] entries) {
    var out = new ByteArrayOutputStream();
    boolean shortForm = table == 0 && type.length == 1 && type[0] == 0x70;
    if (shortForm) {
      out.write(0x04);
    } else {
      out.write(0x06);
      out.writeBytes(u32(table));
    }
    out.writeBytes(i32Const(0));
    if (!shortForm) {
      out.writeBytes(type);
    }
    out.writeBytes(u32(entries.length));
    for (byte[] e : entries) {
      out.writeBytes(e);
    }
    return out.toByteArray();
  }

  /**
   * The data section (or an empty one if {@code payload} is null) with every active segment
   * emptied, the passive ones marked in {@code dropped} emptied, and {@code appended} added.
   */
  public static byte[] dataSection(byte[] payload, boolean[] dropped, List<byte[]> appended) {
    var body = new ByteArrayOutputStream();
    int n = 0;
    if (payload != null) {
      var r = new Reader(payload, 0);
      n = r.u32();
      for (int i = 0; i < n; i++) {
        int start = r.pos;
        int flags = r.u32();
        int memory = flags == 2 ? r.u32() : 0;
        if (flags != 1) {
          r.skipExpr();
        }
        r.bytes(r.u32());
        if (flags != 1) {
          body.writeBytes(activeData(memory, 0, new byte[0]));
        } else if (dropped[i]) {
          body.writeBytes(new byte[] {0x01, 0x00});
        } else {
          body.write(payload, start, r.pos - start);
        }
      }
    }
    var out = new ByteArrayOutputStream();
    out.writeBytes(u32(n + appended.size()));
    out.writeBytes(body.toByteArray());
    appended.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** An active data segment writing {@code data} at {@code offset} of 32-bit memory {@code m}. */
  public static byte[] activeData(int memory, long offset, byte[] data) {
    var out = new ByteArrayOutputStream();
    if (memory == 0) {
      out.write(0x00);
    } else {
      out.write(0x02);
      out.writeBytes(u32(memory));
    }
    out.writeBytes(i32Const((int) offset));
    out.writeBytes(u32(data.length));
    out.writeBytes(data);
    return out.toByteArray();
  }

  /** {@code i32.const v; end}. */
  public static byte[] i32Const(int v) {
    return expr(0x41, s64(v));
  }

  /** {@code i64.const v; end}. */
  public static byte[] i64Const(long v) {
    return expr(0x42, s64(v));
  }

  /** {@code f32.const} of the raw bits {@code bits}{@code ; end}. */
  public static byte[] f32Const(int bits) {
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      b[i] = (byte) (bits >>> (8 * i));
    }
    return expr(0x43, b);
  }

  /** {@code f64.const} of the raw bits {@code bits}{@code ; end}. */
  public static byte[] f64Const(long bits) {
    return expr(0x44, le64(bits));
  }

  /** {@code v128.const} of the two halves{@code ; end}. */
  public static byte[] v128Const(long low, long high) {
    var out = new ByteArrayOutputStream();
    out.write(0xFD);
    out.writeBytes(u32(12));
    out.writeBytes(le64(low));
    out.writeBytes(le64(high));
    out.write(0x0B);
    return out.toByteArray();
  }

  /** {@code ref.null heapType; end}. */
  public static byte[] refNull(byte[] heapType) {
    return expr(0xD0, heapType);
  }

  /** {@code ref.func index; end}. */
  public static byte[] refFunc(int index) {
    return expr(0xD2, u32(index));
  }

  private static byte[] expr(int opcode, byte[] immediate) {
    byte[] b = new byte[immediate.length + 2];
    b[0] = (byte) opcode;
    System.arraycopy(immediate, 0, b, 1, immediate.length);
    b[b.length - 1] = 0x0B;
    return b;
  }

  private static byte[] le64(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return b;
  }

  /** Unsigned LEB128 of a u32. */
  public static byte[] u32(int value) {
    var out = new ByteArrayOutputStream();
    long v = Integer.toUnsignedLong(value);
    do {
      int b = (int) (v & 0x7F);
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
    return out.toByteArray();
  }

  /** Signed LEB128. */
  static byte[] s64(long value) {
    var out = new ByteArrayOutputStream();
    long v = value;
    while (true) {
      int b = (int) (v & 0x7F);
      v >>= 7;
      boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
      out.write(done ? b : b | 0x80);
      if (done) {
        return out.toByteArray();
      }
    }
  }

  /** Reads the binary format from a byte array. */
  private static final class Reader {
    private final byte[] bytes;
    private int pos;

    Reader(byte[] bytes, int pos) {
      this.bytes = bytes;
      this.pos = pos;
    }

    int peek() {
      check(1);
      return bytes[pos];
    }

    int u8() {
      check(1);
      return bytes[pos++] & 0xFF;
    }

    int u32() {
      long result = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        int b = u8();
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return (int) result;
        }
      }
      throw new IllegalArgumentException("malformed LEB128 at byte " + pos);
    }

    void leb() {
      while ((u8() & 0x80) != 0) {
        // continuation bytes
      }
    }

    byte[] bytes(int n) {
      check(n);
      byte[] b = Arrays.copyOfRange(bytes, pos, pos + n);
      pos += n;
      return b;
    }

    String name() {
      return new String(bytes(u32()), java.nio.charset.StandardCharsets.UTF_8);
    }

    byte[] valueType() {
      int start = pos;
      int code = u8();
      if (code == 0x63 || code == 0x64) {
        leb();
      }
      return Arrays.copyOfRange(bytes, start, pos);
    }

    void skipExpr() {
      while (true) {
        int op = u8();
        switch (op) {
          case 0x0B -> {
            return;
          }
          case 0x41, 0x42, 0x23, 0xD2, 0xD0 -> leb();
          case 0x43 -> bytes(4);
          case 0x44 -> bytes(8);
          case 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E -> {}
          case 0xFD -> {
            if (u32() != 12) {
              throw unreadable(op);
            }
            bytes(16);
          }
          default -> throw unreadable(op);
        }
      }
    }

    private UnsupportedOperationException unreadable(int op) {
      return new UnsupportedOperationException(
          "a constant expression uses opcode 0x"
              + Integer.toHexString(op)
              + " at byte "
              + (pos - 1)
              + ", which the writer cannot read (expected: a core or extended-const constant)");
    }

    private void check(int n) {
      if (n < 0 || pos + n > bytes.length) {
        throw new IllegalArgumentException("truncated module: " + n + " bytes past byte " + pos);
      }
    }
  }
}
