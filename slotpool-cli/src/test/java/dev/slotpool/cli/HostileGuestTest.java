package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import dev.slotpool.testkit.wasm.WasmBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Modules and values that fail, given to {@code bench wasm} and {@code snapshot}: a guest that
 * traps, recurses for ever or never returns, memories the command's pools do not hold, an init that
 * takes arguments, arguments too large for the guest. Each is one line on stderr and exit 2 (issue
 * 24, items 6 and 8); the modules the snapshot pool can be sized for are snapshotted.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HostileGuestTest {
  private static final byte[] NONE = {};
  private static final byte[] I32 = {0x7F};
  private static final String[] QUICK = {"--warmup", "0", "--time", "0.02"};

  /**
   * A WASI command with one page of memory (maximum one) whose _start calls args_sizes_get,
   * args_get, environ_sizes_get and environ_get, with the buffers at 1024: an argument or variable
   * of 64 KiB or more does not fit, and WASI's write traps.
   */
  private static final byte[] ARGS =
      HexFormat.of()
          .parseHex(
              "0061736d01000000010a0260027f7f017f600000029b010416776173695f736e617073686f745f70"
                  + "726576696577310e617267735f73697a65735f676574000016776173695f736e617073686f74"
                  + "5f707265766965773108617267735f676574000016776173695f736e617073686f745f707265"
                  + "766965773111656e7669726f6e5f73697a65735f676574000016776173695f736e617073686f"
                  + "745f70726576696577310b656e7669726f6e5f676574000003020101050401010101071302065f"
                  + "73746172740004066d656d6f727902000a220120004100410410001a410841800810011a4100"
                  + "410410021a410841800810031a0b");

  @TempDir Path dir;

  /** trap: unreachable; recurse: calls itself; spin: loops for ever; ok: returns. */
  private static WasmBuilder functions(WasmBuilder b) {
    return b.function("recurse", NONE, NONE, new WasmBuilder.Code().call(0))
        .function("trap", NONE, NONE, new WasmBuilder.Code().unreachable())
        .function("spin", NONE, NONE, new WasmBuilder.Code().loop().br(0).endBlock())
        .function("ok", NONE, NONE, new WasmBuilder.Code())
        .function("arg", I32, NONE, new WasmBuilder.Code());
  }

  private Path write(String name, byte[] module) throws IOException {
    return Files.write(dir.resolve(name), module);
  }

  private Path guest() throws IOException {
    return write("guest.wasm", functions(new WasmBuilder().memory(1, 1)).build());
  }

  private static CommandRun bench(Path file, String... args) {
    String[] all = new String[3 + args.length + QUICK.length];
    all[0] = "bench";
    all[1] = "wasm";
    all[2] = file.toString();
    System.arraycopy(args, 0, all, 3, args.length);
    System.arraycopy(QUICK, 0, all, 3 + args.length, QUICK.length);
    return CommandRun.of(all);
  }

  private CommandRun snapshot(Path file, String init, String... more) {
    String[] head = {"snapshot", file.toString(), "--init", init, "-o", dir + "/out.wasm"};
    String[] all = new String[head.length + more.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(more, 0, all, head.length, more.length);
    return CommandRun.of(all);
  }

  private static void assertOneLine(CommandRun run, String... expected) {
    assertThat(run.status()).as(run.toString()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(run.err()).as(run.toString()).hasLineCount(1).contains(expected);
    assertThat(run.err()).doesNotContain("\tat ");
  }

  @Test
  void benchWasm_guestThatTrapsOrRecurses_isOneLine() throws IOException {
    Path file = guest();

    assertOneLine(
        bench(file, "--invoke", "trap"),
        file + ": trap failed: ",
        "(expected: a request that returns");
    assertOneLine(bench(file, "--invoke", "recurse"), file + ": recurse ");
    assertOneLine(bench(file, "--invoke", "trap", "--runtime", "endive"), file + ": trap failed: ");
    assertOneLine(bench(file, "--invoke", "recurse", "--runtime", "endive"), file + ": recurse ");
    assertThat(bench(file, "--invoke", "ok").status()).as("the same module's good export").isZero();
  }

  @Test
  void benchWasm_guestThatNeverReturns_isStoppedByItsTimeout() throws IOException {
    Path file = guest();

    CommandRun run = bench(file, "--invoke", "spin", "--timeout", "0.5");

    assertOneLine(
        run,
        file + ": spin did not return within 0.5 s (expected: code that returns; --timeout sets");
  }

  @Test
  void benchWasm_compiledGuestThatNeverReturns_isStoppedByItsTimeout() throws IOException {
    Path file = guest();

    CommandRun run = bench(file, "--invoke", "spin", "--timeout", "0.5", "--engine", "compiler");

    assertOneLine(run, file + ": spin did not return within 0.5 s");
  }

  @Test
  void benchWasm_endiveGuestThatNeverReturns_isStoppedByItsTimeout() throws IOException {
    Path file = guest();

    CommandRun run = bench(file, "--invoke", "spin", "--timeout", "0.5", "--runtime", "endive");

    assertOneLine(run, file + ": spin did not return within 0.5 s");
  }

  @Test
  void benchWasm_memoriesThePoolsCannotHold_areRefused() throws IOException {
    Path big = write("big.wasm", functions(new WasmBuilder().memory(1100, -1)).build());
    Path two = write("two.wasm", functions(new WasmBuilder().memory(1, 1).memory(1, 1)).build());

    assertOneLine(
        bench(big, "--invoke", "ok"),
        big + ": its memory starts at 1100 pages (68.8 MiB) (expected: at most 1024 pages");
    assertOneLine(
        bench(two, "--invoke", "ok"), two + ": defines 2 memories (expected: at most one");
  }

  @Test
  void benchWasm_argumentsOrEnvironmentTooLargeForTheGuest_areOneLine() throws IOException {
    Path file = write("args.wasm", ARGS);
    String large = "a".repeat(100_000);

    assertOneLine(
        bench(file, "--wasi", "--arg", large), file + ": _start failed: out of bounds memory");
    assertOneLine(
        bench(file, "--wasi", "--env", "BIG=" + large), file + ": _start failed: out of bounds");
    assertThat(bench(file, "--wasi", "--arg", "small").status()).isZero();
  }

  @Test
  void benchWasm_badTimeout_isRefused() throws IOException {
    assertOneLine(
        bench(guest(), "--invoke", "ok", "--timeout", "0"),
        "--timeout: 0.0 (expected: 0 < SECONDS <= 86400");
  }

  @Test
  void snapshot_initThatTakesArguments_isRefusedAsInvokeIs() throws IOException {
    CommandRun run = snapshot(guest(), "arg");

    assertOneLine(run, "--init arg: takes 1 argument(s) (i32) (expected: a function without");
    assertThat(dir.resolve("out.wasm")).doesNotExist();
  }

  @Test
  void snapshot_initThatNeverReturns_isStoppedByItsTimeout() throws IOException {
    CommandRun run = snapshot(guest(), "spin", "--timeout", "0.5");

    assertOneLine(run, "--init spin did not return within 0.5 s (expected: code that returns;");
    assertThat(dir.resolve("out.wasm")).doesNotExist();
  }

  @Test
  void snapshot_initThatTrapsOrRecurses_isOneLine() throws IOException {
    Path file = guest();

    assertOneLine(snapshot(file, "trap"), "the init of " + file + " failed: ");
    assertOneLine(snapshot(file, "recurse"), "the init of " + file + " failed: ");
  }

  @Test
  void snapshot_largeInitialMemory_getsAPoolSizedForIt() throws IOException {
    byte[] module =
        new WasmBuilder()
            .memory(1100, -1)
            .function(
                "init",
                NONE,
                NONE,
                new WasmBuilder.Code()
                    .i32Const(1099 * 65_536)
                    .i32Const(42)
                    .memOp(0x36, 0)) // i32.store at the last page
            .function("load", I32, I32, new WasmBuilder.Code().localGet(0).memOp(0x28, 0))
            .build();

    CommandRun run = snapshot(write("big.wasm", module), "init");

    assertThat(run.status()).as(run.toString()).isZero();
    Instance instance =
        Instance.builder(Parser.parse(Files.readAllBytes(dir.resolve("out.wasm")))).build();
    assertThat(instance.memory().pages()).isEqualTo(1100);
    assertThat(instance.export("load").apply(1099 * 65_536)[0]).isEqualTo(42L);
  }

  @Test
  void snapshot_twoMemories_getASlotEach() throws IOException {
    byte[] module =
        new WasmBuilder()
            .memory(1, 1)
            .memory(2, 2)
            .function(
                "init", NONE, NONE, new WasmBuilder.Code().i32Const(8).i32Const(7).memOp(0x36, 0))
            .function("load", I32, I32, new WasmBuilder.Code().localGet(0).memOp(0x28, 0))
            .build();

    CommandRun run = snapshot(write("two.wasm", module), "init");

    assertThat(run.status()).as(run.toString()).isZero();
    Instance instance =
        Instance.builder(Parser.parse(Files.readAllBytes(dir.resolve("out.wasm")))).build();
    assertThat(instance.export("load").apply(8)[0]).isEqualTo(7L);
  }
}
