package dev.slotpool.bench.wasm;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real-module corpus: WebAssembly programs compiled by real toolchains, each with a request
 * that does the module's own work. Load one by name with {@link #get(String)}; the origin, license
 * and build of each is in the README of its folder under {@code
 * slotpool-bench/src/main/resources/dev/slotpool/bench/wasm/}.
 *
 * <table>
 *   <caption>The corpus</caption>
 *   <tr><th>name</th><th>what</th><th>from</th></tr>
 *   <tr><td>c-greet</td><td>greets its arguments and stdin lines</td><td>C source in the repo</td>
 *   <tr><td>c-sha256</td><td>SHA-256 of 2 KiB of stdin</td><td>C source in the repo</td>
 *   <tr><td>c-json</td><td>tokenizes a 2 KB JSON document</td><td>C source in the repo</td>
 *   <tr><td>c-alloc</td><td>malloc-heavy hash map, grows memory by 2 MiB</td><td>C source in the repo</td>
 *   <tr><td>c-sort</td><td>sorts 2,000 integers twice</td><td>C source in the repo</td>
 *   <tr><td>c-grep</td><td>regular-expression search of 60 lines</td><td>C source in the
 *       repo</td>
 *   <tr><td>rust-greet</td><td>as c-greet, in Rust</td><td>Rust source in the repo</td>
 *   <tr><td>wabt-wat2wasm</td><td>compiles a WAT file</td><td>{@code
 *       com.dylibso.chicory:wabt:1.0.0} (C++, wasi-sdk)</td>
 *   <tr><td>wabt-wast2json</td><td>converts a spec-test script</td><td>{@code
 *       com.dylibso.chicory:wabt:1.0.0}</td>
 *   <tr><td>quickjs</td><td>compiles and runs a script</td><td>{@code
 *       io.roastedroot:quickjs4j:0.0.17} (QuickJS via Javy, Rust + C); see {@code
 *       RuntimeSpecifics}</td>
 *   <tr><td>sqlite</td><td>creates, fills and queries a table</td><td>{@code
 *       io.roastedroot:sqlite4j:3.50.4.1} (C); see {@code RuntimeSpecifics}</td>
 * </table>
 *
 * <p>The two libraries come from artifacts that ship a machine built for one runtime: {@code
 * RuntimeSpecifics}, the corpus's one runtime-specific file, lists them.
 *
 * <p>Thread-safe: the catalog is immutable and each {@link RealModule} is thread-safe.
 */
public final class RealModules {
  /*
   * Implementation notes
   *
   * Inputs are generated here, deterministically, rather than committed, except the two wabt
   * inputs, which are files a user of the tool would write. Sizes are chosen so that a plain
   * interpreted request takes from tens of microseconds (greet) to a few milliseconds (sort,
   * wat2wasm): the range where per-request overhead matters.
   */

  /** Where the corpus's own modules and inputs are, on the class path. */
  static final String RESOURCES = "/dev/slotpool/bench/wasm/";

  private static final Map<String, RealModule> MODULES = catalog();

  private RealModules() {}

  /** The names of every module, in the corpus's order (own sources first). */
  public static List<String> names() {
    return List.copyOf(MODULES.keySet());
  }

  /** Every module, in the order of {@link #names()}. */
  public static List<RealModule> all() {
    return List.copyOf(MODULES.values());
  }

  /**
   * The module called {@code name}.
   *
   * @throws IllegalArgumentException if there is none, naming the ones there are
   */
  public static RealModule get(String name) {
    RealModule m = MODULES.get(name);
    if (m == null) {
      throw new IllegalArgumentException("module: " + name + " (expected one of " + names() + ")");
    }
    return m;
  }

  private static Map<String, RealModule> catalog() {
    String clang = "C, Debian clang 14 + wasi-libc";
    var list = new ArrayList<RealModule>();
    list.add(
        own("c-greet", clang)
            .args("greet", "Ada", "Grace")
            .stdin(ascii("Alan\nBarbara\nEdsger\nFrances\n"))
            .build());
    list.add(
        own("c-sha256", clang)
            .stdin(Inputs.bytes(2 * 1024))
            .work(i -> i.export("work").apply(8)[0])
            .build());
    list.add(
        own("c-json", clang)
            .stdin(Inputs.json(20))
            .work(i -> i.export("work").apply(20)[0])
            .build());
    list.add(
        own("c-alloc", clang)
            .args("alloc", "500")
            .work(i -> i.export("work").apply(500)[0])
            .build());
    list.add(
        own("c-sort", clang)
            .args("sort", "2000", "7")
            .work(i -> i.export("work").apply(2000)[0])
            .build());
    list.add(own("c-grep", clang).args("grep", "fo*x").stdin(Inputs.text(60)).build());
    list.add(
        own("rust-greet", "Rust, Debian rustc 1.63, wasm32-wasi")
            .args("greet", "Ada", "Grace")
            .stdin(ascii("Alan\nBarbara\nEdsger\nFrances\n"))
            .build());
    list.add(
        RealModule.builder("wabt-wat2wasm", "C++, wasi-sdk (wabt 1.0.36)", () -> parse("/wat2wasm"))
            .args("wat2wasm", "/in/input.wat", "--output=-")
            .directories(() -> Map.of("/in", WabtFiles.input()))
            .build());
    list.add(
        RealModule.builder(
                "wabt-wast2json", "C++, wasi-sdk (wabt 1.0.36)", () -> parse("/wast2json"))
            .args("wast2json", "/in/input.wast", "-o", "/out/input.json")
            .directories(() -> Map.of("/in", WabtFiles.input(), "/out", WabtFiles.output()))
            .files(WabtFiles::written)
            .build());
    list.addAll(RuntimeSpecifics.libraryModules());
    var map = new LinkedHashMap<String, RealModule>();
    for (RealModule m : list) {
      map.put(m.name(), m);
    }
    return Collections.unmodifiableMap(map);
  }

  private static RealModule.Builder own(String name, String toolchain) {
    return RealModule.builder(name, toolchain, () -> parse(RESOURCES + name + "/" + name + ".wasm"))
        .args(name);
  }

  /** Reads a class-path resource; used for the modules and their input files. */
  static byte[] resource(String path) {
    try (InputStream in = RealModules.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("resource " + path + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static WasmModule parse(String path) {
    return Parser.parse(resource(path));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Generated inputs; the same bytes on every run. */
  static final class Inputs {
    private Inputs() {}

    static byte[] bytes(int n) {
      byte[] b = new byte[n];
      for (int i = 0; i < n; i++) {
        b[i] = (byte) (i * 31 + 7);
      }
      return b;
    }

    static byte[] json(int objects) {
      var sb = new StringBuilder("[");
      for (int k = 0; k < objects; k++) {
        sb.append(k == 0 ? "" : ",\n")
            .append("{\"id\":")
            .append(k)
            .append(",\"name\":\"item ")
            .append(k)
            .append("\",\"price\":")
            .append(k * 7 % 1000)
            .append('.')
            .append(k % 10)
            .append(",\"tags\":[true,null,\"t")
            .append(k % 13)
            .append("\"],\"ok\":false}");
      }
      return ascii(sb.append("]\n").toString());
    }

    static byte[] text(int lines) {
      String[] words = {"fox", "foox", "box", "fx", "lorem", "ipsum", "dolor", "fooooox", "sit"};
      var sb = new StringBuilder();
      long x = 88172645463325252L;
      for (int l = 0; l < lines; l++) {
        int n = 4 + l % 9;
        for (int w = 0; w < n; w++) {
          x ^= x << 13;
          x ^= x >>> 7;
          x ^= x << 17;
          sb.append(w == 0 ? "" : " ").append(words[(int) Long.remainderUnsigned(x, words.length)]);
        }
        sb.append('\n');
      }
      return ascii(sb.toString());
    }
  }
}
