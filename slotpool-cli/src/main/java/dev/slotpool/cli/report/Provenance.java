package dev.slotpool.cli.report;

import java.util.List;

/**
 * How a result was made: the command line, the seed and the version, written into every CSV, JSON
 * and chart so that a file found later says how to make it again.
 *
 * @param commandLine the command as typed, arguments quoted where needed
 * @param seed the seed of every random choice
 * @param version the slotpool version
 */
public record Provenance(String commandLine, long seed, String version) {

  /** Provenance of a run of {@code slotpool} with {@code args}. */
  public static Provenance of(List<String> args, long seed, String version) {
    StringBuilder line = new StringBuilder("slotpool");
    for (String arg : args) {
      line.append(' ');
      boolean plain = !arg.isEmpty() && arg.chars().allMatch(c -> c > ' ' && c != '\'' && c != '"');
      line.append(plain ? arg : "'" + arg.replace("'", "'\\''") + "'");
    }
    return new Provenance(line.toString(), seed, version);
  }

  /** The lines of a comment block, without comment markers. */
  public List<String> lines() {
    return List.of("made by: " + commandLine, version + ", seed " + seed);
  }

  /** A JSON object with the same facts. */
  public String json() {
    return "{\"command\": "
        + Reports.jsonString(commandLine)
        + ", \"seed\": "
        + seed
        + ", \"version\": "
        + Reports.jsonString(version)
        + "}";
  }
}
