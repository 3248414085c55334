package dev.slotpool.cli.trace;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.InputFiles;
import dev.slotpool.cli.model.CostModel;
import dev.slotpool.cli.report.Reports;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Measured costs in a small CSV file: {@code slotpool bench wasm --costs-out FILE} writes it,
 * {@code simulate}/{@code tune --costs FILE} read it.
 *
 * <pre>
 * # slotpool costs: slotpool bench wasm app.wasm --costs-out costs.csv
 * # version 0.1.0, seed -, 2026-12-01T21:00:00Z
 * name,value
 * hit_us,3.1
 * cold_us,48.2
 * evict_us,48.2
 * page_fault_us,0.25
 * page_size,4096
 * bytes_per_slot,1114112
 * </pre>
 *
 * <p>Lines starting with {@code #} and blank lines are ignored; the header {@code name,value} comes
 * first; every name is one of those above, none twice. {@code hit_us}, {@code cold_us} and {@code
 * evict_us} are required: microseconds per request (instantiate, call, close), measured end to end,
 * so a cold slot's and an eviction's page faults are included; {@code page_fault_us} (per page of
 * working set a warm slot no longer kept, default 0.25) and {@code page_size} (default 4096) and
 * {@code bytes_per_slot} (the module's memory: the working set, default the {@code
 * --bytes-per-slot} option) are optional. Stateless.
 */
public final class CostsFile {
  private static final int MAX_LINE = 4096;

  /** The largest cost, as the cost options allow. */
  private static final double MAX_MICROS = 1e12;

  /** The largest working set: a 32-bit memory's 65,536 pages. */
  private static final double MAX_BYTES_PER_SLOT = 65_536.0 * 65_536;

  private static final String[] NAMES = {
    "hit_us", "cold_us", "evict_us", "page_fault_us", "page_size", "bytes_per_slot"
  };

  private CostsFile() {}

  /**
   * The measured costs and, if the file gives one, the working set.
   *
   * @param costs the cost model
   * @param bytesPerSlot the file's bytes_per_slot, or -1
   */
  public record Measured(CostModel costs, long bytesPerSlot) {}

  /**
   * Reads a costs file.
   *
   * @throws BadInputException naming the file and line if it cannot be read or does not parse
   */
  public static Measured read(Path file) {
    Map<String, Double> values = new LinkedHashMap<>();
    // Read whole, so the bound holds even if the file grows after its size is checked.
    byte[] content = InputFiles.readAll("--costs", file, InputFiles.MAX_COSTS_BYTES);
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(
                new ByteArrayInputStream(content), StandardCharsets.UTF_8.newDecoder()))) {
      int lineNumber = 0;
      boolean header = false;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lineNumber++;
        String where = file + ":" + lineNumber + ": ";
        if (line.length() > MAX_LINE) {
          throw new BadInputException(where + "line longer than " + MAX_LINE + " characters");
        }
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        if (!header) {
          if (!trimmed.equals("name,value")) {
            throw new BadInputException(
                where + "'" + trimmed + "' (expected: the header name,value)");
          }
          header = true;
          continue;
        }
        String[] fields = trimmed.split(",", -1);
        if (fields.length != 2) {
          throw new BadInputException(where + "'" + trimmed + "' (expected: NAME,VALUE)");
        }
        String name = fields[0].strip().toLowerCase(Locale.ROOT);
        if (!java.util.Arrays.asList(NAMES).contains(name)) {
          throw new BadInputException(
              where
                  + "unknown name '"
                  + name
                  + "' (expected one of: "
                  + String.join(", ", NAMES)
                  + ")");
        }
        if (values.containsKey(name)) {
          throw new BadInputException(where + name + " given twice (expected: once)");
        }
        double value;
        try {
          value = Double.parseDouble(fields[1].strip());
        } catch (NumberFormatException e) {
          value = Double.NaN;
        }
        String range = range(name, value);
        if (range != null) {
          throw new BadInputException(
              where + name + " '" + fields[1].strip() + "' (expected: " + range + ")");
        }
        values.put(name, value);
      }
    } catch (IOException e) {
      throw new BadInputException("--costs: " + file + ": cannot read (" + e.getMessage() + ")");
    }
    for (String required : new String[] {"hit_us", "cold_us", "evict_us"}) {
      if (!values.containsKey(required)) {
        throw new BadInputException(
            file + ": no " + required + " (expected: hit_us, cold_us and evict_us)");
      }
    }
    CostModel costs =
        new CostModel(
            values.get("hit_us"),
            values.get("cold_us"),
            values.get("evict_us"),
            values.getOrDefault("page_fault_us", CostModel.DEFAULT.pageFault()),
            Math.round(values.getOrDefault("page_size", 4096.0)),
            true);
    Double bytes = values.get("bytes_per_slot");
    return new Measured(costs, bytes == null ? -1 : Math.round(bytes));
  }

  /** What {@code name}'s value must be if {@code value} is out of its range, else null. */
  private static String range(String name, double value) {
    return switch (name) {
      case "page_size" ->
          value >= 1 && value <= 1 << 30 && value == Math.rint(value)
              ? null
              : "a whole number of bytes, 1 <= BYTES <= 1 GiB";
      case "bytes_per_slot" ->
          value >= 0 && value <= MAX_BYTES_PER_SLOT && value == Math.rint(value)
              ? null
              : "a whole number of bytes, 0 <= BYTES <= 4 GiB, a 32-bit memory";
      default -> value >= 0 && value <= MAX_MICROS ? null : "microseconds, 0 <= US <= 1e12";
    };
  }

  /**
   * Writes a costs file.
   *
   * @param provenance comment lines (without {@code #}) saying how the figures were made
   */
  public static void write(
      PrintWriter out, Iterable<String> provenance, CostModel costs, long bytesPerSlot) {
    for (String line : provenance) {
      out.println("# " + line);
    }
    out.println("name,value");
    out.println("hit_us," + Reports.fixed(costs.hit(), 3));
    out.println("cold_us," + Reports.fixed(costs.cold(), 3));
    out.println("evict_us," + Reports.fixed(costs.eviction(), 3));
    out.println("page_fault_us," + Reports.fixed(costs.pageFault(), 3));
    out.println("page_size," + costs.pageSize());
    if (bytesPerSlot >= 0) {
      out.println("bytes_per_slot," + bytesPerSlot);
    }
    out.flush();
  }
}
