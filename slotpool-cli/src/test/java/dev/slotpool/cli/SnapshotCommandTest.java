package dev.slotpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import dev.slotpool.testkit.wasm.WasmBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code slotpool snapshot}: the written module starts initialised; bad input is one line. */
class SnapshotCommandTest {
  private static final byte[] NONE = {};
  private static final byte[] I32 = {0x7F};

  /** init stores 1234 at 64 and fills [4096, 4196) with 7; load(addr) reads an i32. */
  private static byte[] reactor() {
    return new WasmBuilder()
        .memory(1, 2)
        .exportMemory("memory")
        .function(
            "init",
            NONE,
            NONE,
            new WasmBuilder.Code()
                .i32Const(64)
                .i32Const(1234)
                .memOp(0x36, 0)
                .i32Const(4096)
                .i32Const(7)
                .i32Const(100)
                .memoryFill())
        .function("load", I32, I32, new WasmBuilder.Code().localGet(0).memOp(0x28, 0))
        .build();
  }

  @Test
  void writesAModuleThatStartsInitialised(@TempDir Path dir) throws IOException {
    Path in = dir.resolve("in.wasm");
    Path out = dir.resolve("out.wasm");
    Files.write(in, reactor());

    CommandRun run =
        CommandRun.of("snapshot", in.toString(), "--init", "init", "-o", out.toString());

    assertThat(run.status()).as(run.toString()).isZero();
    assertThat(run.out()).contains("ran init, wrote " + out);
    var module = Parser.parse(Files.readAllBytes(out));
    Instance instance = Instance.builder(module).build();
    assertThat(instance.export("load").apply(64)[0]).isEqualTo(1234L);
    assertThat(instance.export("load").apply(4196 - 4)[0]).isEqualTo(0x07070707L);
    assertThat(instance.export("load").apply(4196)[0]).isZero();
    boolean hasInit = false;
    for (int i = 0; i < module.exportSection().exportCount(); i++) {
      hasInit |= module.exportSection().getExport(i).name().equals("init");
    }
    assertThat(hasInit).as("the init export is removed").isFalse();
  }

  @Test
  void badInput_isOneLineNamingIt(@TempDir Path dir) throws IOException {
    Path in = dir.resolve("in.wasm");
    Files.write(in, reactor());
    String o = dir.resolve("out.wasm").toString();

    CommandRun noInit = CommandRun.of("snapshot", in.toString(), "--init", "nope", "-o", o);
    CommandRun notWasm = CommandRun.of("snapshot", o, "--init", "init", "-o", o);

    assertThat(noInit.status()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(noInit.err()).contains("exports no function named nope").hasLineCount(1);
    assertThat(notWasm.status()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(notWasm.err()).contains("cannot read").hasLineCount(1);
    assertThat(Files.exists(dir.resolve("out.wasm"))).isFalse();
  }

  @Test
  void importedGlobal_isRefused(@TempDir Path dir) throws IOException {
    var b = new WasmBuilder();
    b.importGlobalI32("env", "base");
    Path in = dir.resolve("in.wasm");
    Files.write(in, b.memory(1, 1).function("init", NONE, NONE, new WasmBuilder.Code()).build());

    CommandRun run =
        CommandRun.of("snapshot", in.toString(), "--init", "init", "-o", dir + "/out.wasm");

    assertThat(run.status()).isEqualTo(Slotpool.BAD_INPUT);
    assertThat(run.err()).contains("imports the global env.base").hasLineCount(1);
  }
}
