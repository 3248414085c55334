package dev.slotpool.cli.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One request of {@code slotpool bench wasm}, independent of the runtime: the module, what to run
 * in it and the WASI input.
 *
 * <p>Without {@code wasi}, the module may import nothing; a request instantiates it (running its
 * start function) and calls {@code export} with {@code exportArgs} if one is given. With {@code
 * wasi}, the module may import {@code wasi_snapshot_preview1} functions only; a request gives it a
 * fresh WASI context ({@code wasiArgs}, {@code stdin}, {@code env}, stdout and stderr captured) and
 * runs {@code _start}, or {@code export} instead if one is given.
 *
 * <p>Immutable (the arrays and collections are copied).
 *
 * @param name the file name, for messages
 * @param wasm the module's bytes
 * @param export the function to call, or null
 * @param exportArgs its arguments as text: integers for i32/i64, decimals for f32/f64
 * @param wasi whether to give the module WASI
 * @param wasiArgs the WASI arguments, the program name first
 * @param stdin the WASI standard input
 * @param env the WASI environment, in order
 * @param compiler whether to run the module's code with the runtime's compiler (else its
 *     interpreter)
 */
public record WasmRequest(
    String name,
    byte[] wasm,
    String export,
    List<String> exportArgs,
    boolean wasi,
    List<String> wasiArgs,
    byte[] stdin,
    Map<String, String> env,
    boolean compiler) {

  /** Copies the mutable parts. */
  public WasmRequest {
    wasm = wasm.clone();
    exportArgs = List.copyOf(exportArgs);
    wasiArgs = List.copyOf(wasiArgs);
    stdin = stdin.clone();
    env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }

  /** The module's bytes (a copy). */
  @Override
  public byte[] wasm() {
    return wasm.clone();
  }

  /** The standard input (a copy). */
  @Override
  public byte[] stdin() {
    return stdin.clone();
  }
}
