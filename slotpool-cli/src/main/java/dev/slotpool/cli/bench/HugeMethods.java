package dev.slotpool.cli.bench;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.sun.management.HotSpotDiagnosticMXBean;
import dev.slotpool.cli.report.Reports;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;

/**
 * Finds the Wasm functions that Chicory's compiler turns into JVM methods HotSpot will never
 * compile: the compiler makes each function one method, and HotSpot leaves any method of more than
 * {@value #HUGE_METHOD_LIMIT} bytes of bytecode to its bytecode interpreter ({@code
 * -XX:+DontCompileHugeMethods}, the default), however hot it is. wasi-libc's {@code printf} core is
 * such a function, so nearly every C program that prints runs partly interpreted.
 *
 * <p>Stateless and thread-safe.
 */
public final class HugeMethods {
  /*
   * Implementation notes
   *
   * The generated classes are read through the compiler's public Cache hook: compile() hands a
   * cache the jar of every class it generated, keyed by the module's digest, and this cache keeps
   * it. The methods are then measured with the JDK's class-file API, so nothing depends on the
   * compiler's internals. Compiled Wasm functions are the methods named func_N, N being the
   * function's index (imports first), as the compiler names them.
   */

  /** HotSpot's HugeMethodLimit: bytes of bytecode past which a method is never JIT-compiled. */
  public static final int HUGE_METHOD_LIMIT = 8_000;

  private static final String FUNCTION_PREFIX = "func_";

  private HugeMethods() {}

  /**
   * A compiled Wasm function over the limit.
   *
   * @param index the function's index in the module (imports first)
   * @param name its name in the module's name section, or null
   * @param bytecodeBytes the size of its JVM method's bytecode
   */
  public record HugeFunction(int index, String name, int bytecodeBytes) {
    @Override
    public String toString() {
      return "function "
          + index
          + (name == null ? "" : " (" + name + ")")
          + ": "
          + Reports.grouped(bytecodeBytes)
          + " bytes";
    }
  }

  /**
   * Parses {@code wasm} and compiles it with Chicory's compiler; its functions whose JVM methods
   * exceed {@link #HUGE_METHOD_LIMIT}, biggest first.
   */
  public static List<HugeFunction> of(byte[] wasm) {
    return of(Parser.parse(wasm));
  }

  /**
   * Compiles {@code module} with Chicory's compiler and returns its functions whose JVM methods
   * exceed {@link #HUGE_METHOD_LIMIT}, biggest first.
   */
  public static List<HugeFunction> of(WasmModule module) {
    JarCapture capture = new JarCapture();
    MachineFactoryCompiler.builder(module).withCache(capture).compile();
    if (capture.jar == null) {
      return List.of(); // no digest, so the compiler did not offer its classes: nothing known
    }
    List<HugeFunction> huge = new ArrayList<>();
    var names = module.nameSection();
    try (var in = new JarInputStream(new ByteArrayInputStream(capture.jar))) {
      for (JarEntry entry; (entry = in.getNextJarEntry()) != null; ) {
        if (!entry.getName().endsWith(".class")) {
          continue;
        }
        ClassModel type = ClassFile.of().parse(in.readAllBytes());
        for (MethodModel method : type.methods()) {
          int size =
              method.findAttribute(Attributes.code()).map(CodeAttribute::codeLength).orElse(0);
          int index = functionIndex(method.methodName().stringValue());
          if (size > HUGE_METHOD_LIMIT && index >= 0) {
            huge.add(
                new HugeFunction(index, names == null ? null : names.nameOfFunction(index), size));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // reading an in-memory jar
    }
    huge.sort(Comparator.comparingInt(HugeFunction::bytecodeBytes).reversed());
    return huge;
  }

  /** N for a method named func_N, else -1 (the compiler's other methods: dispatch, bridges). */
  private static int functionIndex(String methodName) {
    if (!methodName.startsWith(FUNCTION_PREFIX)) {
      return -1;
    }
    try {
      return Integer.parseInt(methodName.substring(FUNCTION_PREFIX.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * A note for the user about {@code huge}, or null if it is empty or this JVM compiles huge
   * methods anyway ({@code -XX:-DontCompileHugeMethods}).
   */
  public static String note(List<HugeFunction> huge) {
    if (huge.isEmpty() || hugeMethodsCompiled()) {
      return null;
    }
    List<String> shown = new ArrayList<>();
    for (HugeFunction f : huge.subList(0, Math.min(3, huge.size()))) {
      shown.add(f.toString());
    }
    if (huge.size() > 3) {
      shown.add("and " + (huge.size() - 3) + " more");
    }
    return "note: "
        + huge.size()
        + (huge.size() == 1 ? " Wasm function compiles" : " Wasm functions compile")
        + " to a JVM method of more than "
        + Reports.grouped(HUGE_METHOD_LIMIT)
        + " bytes of bytecode, which HotSpot never compiles, so it runs in the JVM's bytecode"
        + " interpreter in every case above ("
        + String.join("; ", shown)
        + "). To see it compiled, run with SLOTPOOL_JAVA_OPTS=-XX:-DontCompileHugeMethods; that"
        + " is a JVM-wide setting, so measure it for your service too.";
  }

  /** Whether this JVM runs with {@code -XX:-DontCompileHugeMethods}. */
  public static boolean hugeMethodsCompiled() {
    try {
      return "false"
          .equals(
              ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                  .getVMOption("DontCompileHugeMethods")
                  .getValue());
    } catch (RuntimeException e) {
      return false; // not HotSpot, or no such flag: assume HotSpot's default
    }
  }

  /** Keeps the jar the compiler stores; never has one to give. */
  private static final class JarCapture implements Cache {
    private byte[] jar;

    @Override
    public byte[] get(String key) {
      return null;
    }

    @Override
    public void putIfAbsent(String key, byte[] data) {
      jar = data;
    }
  }
}
