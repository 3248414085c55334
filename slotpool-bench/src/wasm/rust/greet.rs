// greet (Rust): a WASI command that greets the people named in its arguments and the lines of
// stdin, as the C greet does.
use std::io::{self, BufRead, Write};

fn main() {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut greeted = 0;
    for name in std::env::args().skip(1) {
        writeln!(out, "Hello, {}!", name).unwrap();
        greeted += 1;
    }
    for line in io::stdin().lock().lines() {
        let line = line.unwrap();
        let name = line.trim_end();
        if !name.is_empty() {
            writeln!(out, "Hello, {}!", name).unwrap();
            greeted += 1;
        }
    }
    writeln!(out, "{} greeted", greeted).unwrap();
}
