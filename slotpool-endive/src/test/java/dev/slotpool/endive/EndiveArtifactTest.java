package dev.slotpool.endive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.attribute.ModuleAttribute;
import java.lang.classfile.attribute.ModuleExportInfo;
import java.lang.classfile.attribute.ModuleRequireInfo;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The classes of this module are generated from slotpool-chicory's sources: nothing of Chicory may
 * reach them, and the module descriptor must be Endive's. Reads the compiled main classes, which
 * are exactly what the jar holds.
 */
class EndiveArtifactTest {
  /** Names that only Chicory's build could have put in a class file. */
  private static final List<String> CHICORY_ONLY =
      List.of("com/dylibso", "com.dylibso", "dev/slotpool/chicory", "dev.slotpool.chicory");

  @Test
  void constantPools_ofEveryMainClass_nameNothingOfChicory() throws Exception {
    List<Path> classes = mainClasses();
    assertThat(classes).as("main classes").hasSizeGreaterThan(3);
    List<String> leaks = new ArrayList<>();
    for (Path file : classes) {
      ClassModel model = ClassFile.of().parse(file);
      for (PoolEntry entry : model.constantPool()) {
        if (entry instanceof Utf8Entry utf8) {
          String text = utf8.stringValue();
          if (CHICORY_ONLY.stream().anyMatch(text::contains)) {
            leaks.add(file.getFileName() + ": " + text);
          }
        }
      }
    }
    assertThat(leaks).as("Chicory names in the Endive classes").isEmpty();
  }

  @Test
  void mainClasses_areAllInEndivePackages() throws Exception {
    for (Path file : mainClasses()) {
      String name = ClassFile.of().parse(file).thisClass().asInternalName();
      if (!name.equals("module-info")) {
        assertThat(name).startsWith("dev/slotpool/endive/");
      }
    }
  }

  @Test
  void moduleDescriptor_isEndives() throws Exception {
    ClassModel descriptor = ClassFile.of().parse(classesRoot().resolve("module-info.class"));
    ModuleAttribute module = descriptor.findAttribute(Attributes.module()).orElseThrow();
    assertThat(module.moduleName().name().stringValue()).isEqualTo("dev.slotpool.endive");
    List<String> requires =
        module.requires().stream()
            .map(ModuleRequireInfo::requires)
            .map(m -> m.name().stringValue())
            .toList();
    assertThat(requires).contains("run.endive.runtime", "dev.slotpool.memory");
    List<String> exports =
        module.exports().stream()
            .map(ModuleExportInfo::exportedPackage)
            .map(p -> p.name().stringValue())
            .toList();
    assertThat(exports).containsExactly("dev/slotpool/endive");
  }

  @Test
  void publicApi_isTheChicoryModulesUnderEndiveNames() throws Exception {
    // The classes a user touches exist and bind to Endive's types.
    assertThat(
            WasmInstancePool.class
                .getMethod("instantiate", run.endive.wasm.WasmModule.class)
                .getReturnType())
        .isEqualTo(PooledInstance.class);
    assertThat(PooledInstance.class.getMethod("instance").getReturnType())
        .isEqualTo(run.endive.runtime.Instance.class);
  }

  private static Path classesRoot() throws URISyntaxException {
    return Path.of(
        WasmInstancePool.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static List<Path> mainClasses() throws IOException, URISyntaxException {
    Path root = classesRoot();
    assertThat(root).as("main classes directory").isDirectory();
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.toString().endsWith(".class")).sorted().toList();
    }
  }
}
