#!/bin/sh
# Builds the benchmark corpus's own modules from the sources beside this script.
#
#   slotpool-bench/src/wasm/build.sh [OUT_DIR]
#
# OUT_DIR defaults to the committed resources, slotpool-bench/src/main/resources/dev/slotpool/bench/wasm;
# each module goes to OUT_DIR/NAME/NAME.wasm. Needs Debian 12's clang-14, lld-14 and wasi-libc
# (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32) and, for the Rust module, Debian's
# rustc 1.63 with its wasm32-wasi standard library (apt-get install rustc libstd-rust-dev-wasm32).
# The same tools give the same bytes: RealModulesRebuildTest rebuilds and compares when they are
# installed (the Rust module is skipped when RUSTC, /usr/bin/rustc by default, is missing).
# The Maven build never runs this script; the .wasm files are committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../main/resources/dev/slotpool/bench/wasm}
CLANG=${CLANG:-clang}
RUSTC=${RUSTC:-/usr/bin/rustc}

cd "$here/c"
for name in greet sha256 json alloc sort grep; do
  mkdir -p "$out/c-$name"
  "$CLANG" --target=wasm32-wasi -O2 -Wall -Werror -Wl,--strip-all -o "$out/c-$name/c-$name.wasm" "$name.c"
done

if [ -x "$RUSTC" ]; then
  cd "$here/rust"
  mkdir -p "$out/rust-greet"
  "$RUSTC" --target wasm32-wasi -C opt-level=2 -C strip=symbols -C codegen-units=1 \
    -o "$out/rust-greet/rust-greet.wasm" greet.rs
else
  echo "build.sh: $RUSTC not found, rust-greet not built" >&2
fi
