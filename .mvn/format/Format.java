import com.google.googlejavaformat.java.Main;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs google-java-format over every Java source under a directory, skipping build output.
 *
 * <p>Usage: {@code java -cp google-java-format.jar Format.java check|fix DIR}. {@code check} lists
 * the files that differ and exits 1; {@code fix} rewrites them in place.
 */
public final class Format {
  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !(args[0].equals("check") || args[0].equals("fix"))) {
      System.err.println("usage: Format check|fix DIR (got: " + String.join(" ", args) + ")");
      System.exit(2);
    }
    List<String> files = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(Path.of(args[1]))) {
      paths
          .filter(p -> p.toString().endsWith(".java"))
          .filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/.mvn/"))
          .filter(p -> !p.toString().contains("/.git/"))
          .sorted()
          .forEach(p -> files.add(p.toString()));
    }
    if (files.isEmpty()) {
      return;
    }
    List<String> gjf = new ArrayList<>();
    if (args[0].equals("check")) {
      gjf.addAll(List.of("--dry-run", "--set-exit-if-changed"));
    } else {
      gjf.add("--replace");
    }
    gjf.addAll(files);
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int status = new Main(out, err, System.in).format(gjf.toArray(String[]::new));
    if (status != 0 && args[0].equals("check")) {
      err.println(
          "These files are not formatted with google-java-format."
              + " Run ./mvnw -Dformat=fix validate to fix them.");
    }
    System.exit(status);
  }
}
