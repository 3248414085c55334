package dev.slotpool.cli;

import dev.slotpool.cli.bench.WasmBenches;
import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.model.Policy;
import dev.slotpool.cli.model.Router;
import dev.slotpool.cli.model.StepModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * The {@code slotpool} command: {@code simulate}, {@code tune} and {@code bench}.
 *
 * <p>Exit status: 0 on success, 2 for bad input (an unknown option or workload, a value out of
 * range, a malformed or missing trace), reported as one line on stderr without a stack trace, and 1
 * for an internal error.
 */
@Command(
    name = "slotpool",
    mixinStandardHelpOptions = true,
    versionProvider = Slotpool.Version.class,
    description = {
      "Wasmtime's pooling allocator on the JVM: see what the pool does for real modules,"
          + " simulate a workload against the real allocators, and tune a pool's settings.",
      ""
    },
    footer = {
      "",
      "Start with: slotpool bench        (the pool on real modules, under a minute)",
      "            slotpool simulate     (size a pool; each command has --help)"
    },
    subcommands = {
      SimulateCommand.class,
      TuneCommand.class,
      BenchCommand.class,
      SnapshotCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Slotpool implements Callable<Integer> {
  /** Exit status for bad input. */
  public static final int BAD_INPUT = 2;

  @Spec CommandLine.Model.CommandSpec spec;

  private Slotpool() {}

  /** Without a command, shows the usage on stderr and exits with {@link #BAD_INPUT}. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return BAD_INPUT;
  }

  /** Runs the command and exits with its status. */
  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line, ready to {@link CommandLine#execute}: bad input prints one line to its error
   * writer and returns {@link #BAD_INPUT}.
   */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Slotpool());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    // Closed sets whose command-line names are labels (round-robin, not ROUND_ROBIN).
    byLabel(cli, Policy.Kind.class);
    byLabel(cli, Router.Kind.class);
    byLabel(cli, StepModel.Arrivals.class);
    byLabel(cli, WasmBenches.Engine.class);
    byLabel(cli, WasmBenches.Runtime.class);
    cli.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine where = ex.getCommandLine();
          badInput(where, ex.getMessage());
          return BAD_INPUT;
        });
    cli.setExecutionExceptionHandler(
        (ex, where, parsed) -> {
          if (ex instanceof BadInputException) {
            badInput(where, ex.getMessage());
            return BAD_INPUT;
          }
          throw ex;
        });
    return cli;
  }

  /**
   * Converts an option's text to the {@code type} constant whose {@code toString()} (its label) or
   * name it is, ignoring case; the error lists the labels.
   */
  private static <E extends Enum<E>> void byLabel(CommandLine cli, Class<E> type) {
    E[] constants = type.getEnumConstants();
    cli.registerConverter(
        type,
        text -> {
          for (E e : constants) {
            if (e.toString().equalsIgnoreCase(text.strip())
                || e.name().equalsIgnoreCase(text.strip())) {
              return e;
            }
          }
          List<String> labels = new ArrayList<>();
          for (E e : constants) {
            labels.add(e.toString());
          }
          throw new CommandLine.TypeConversionException(
              "'" + text + "' (expected one of: " + String.join(", ", labels) + ")");
        });
  }

  private static void badInput(CommandLine where, String message) {
    PrintWriter err = where.getErr();
    String name = where.getCommandSpec().qualifiedName();
    err.println(name + ": " + message + " (see '" + name + " --help')");
    err.flush();
  }

  /** The provenance of the command being run by {@code spec}, for result files. */
  static dev.slotpool.cli.report.Provenance provenance(
      CommandLine.Model.CommandSpec spec, long seed) {
    CommandLine root = spec.root().commandLine();
    List<String> args =
        root.getParseResult() == null ? List.of() : root.getParseResult().originalArgs();
    return dev.slotpool.cli.report.Provenance.of(args, seed, new Version().getVersion()[0]);
  }

  /**
   * The build's version and commit: {@code slotpool 0.1.0 (commit 0123456789ab)}, from the {@code
   * version.properties} and {@code commit} resources the build wrote, or {@code commit unknown}
   * when the build had no git repository to read (a source archive).
   */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      Properties properties = new Properties();
      try (InputStream in = Slotpool.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          properties.load(in);
        }
      } catch (IOException e) {
        // Described below as an unknown version rather than failing the command.
      }
      try (InputStream in = Slotpool.class.getResourceAsStream("commit")) {
        if (in != null) {
          properties.setProperty(
              "commit", new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
        }
      } catch (IOException e) {
        // An unknown commit.
      }
      return new String[] {describe(properties)};
    }

    /**
     * The version line for the {@code version} and {@code commit} properties; a missing or blank
     * value, or a placeholder the build left, is unknown.
     */
    static String describe(Properties properties) {
      String version = known(properties.getProperty("version"));
      String commit = known(properties.getProperty("commit"));
      StringBuilder line = new StringBuilder("slotpool ");
      line.append(version == null ? "(unknown version)" : version);
      line.append(" (commit ").append(commit == null ? "unknown" : commit);
      return line.append(')').toString();
    }

    private static String known(String value) {
      return value == null || value.isBlank() || value.contains("${") ? null : value.strip();
    }
  }
}
