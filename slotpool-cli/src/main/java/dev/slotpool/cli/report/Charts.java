package dev.slotpool.cli.report;

import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.svg.SVGProcessor;
import de.erichseifert.vectorgraphics2d.util.PageSize;
import dev.slotpool.cli.model.SimResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws a sweep as one chart: hit rate (left axis) and peak resident memory of the warm slots
 * (right axis, dashed) against {@code max-warm} on a log2 axis (0 at its left end), one colour,
 * marker and hit-rate line style per policy, so that policies whose lines coincide (affinity and
 * sharded) stay distinguishable. The legend is laid out below the plot in as many rows as its
 * entries need, and the provenance (command line, seed, version) is printed under it, so both
 * always lie inside the image. A policy without a threshold is drawn flat across the sweep.
 * Stateless.
 */
public final class Charts {
  /*
   * Implementation notes. XChart draws the plot with its own legend turned off; this class
   * paints it into a Graphics2D (a BufferedImage for PNG, VectorGraphics2D for SVG), then paints
   * the legend and the provenance below it from a layout computed first, so the image height is
   * known before anything is drawn and the legend's bounds can be checked.
   */

  /** Image formats a chart can be written in. */
  public enum Format {
    /** A bitmap. */
    PNG,
    /** A vector image. */
    SVG
  }

  /** Width of every chart, in pixels. */
  static final int WIDTH = 1000;

  private static final int PLOT_HEIGHT = 560;
  private static final int MARGIN = 12;
  private static final int ROW = 20;
  private static final int SAMPLE = 36;
  private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xd62728),
    new Color(0x2ca02c),
    new Color(0xff7f0e),
    new Color(0x9467bd),
    new Color(0x8c564b)
  };
  private static final Marker[] MARKERS = {
    SeriesMarkers.CIRCLE,
    SeriesMarkers.CROSS,
    SeriesMarkers.SQUARE,
    SeriesMarkers.DIAMOND,
    SeriesMarkers.TRIANGLE_UP,
    SeriesMarkers.TRIANGLE_DOWN
  };
  private static final BasicStroke[] HIT_LINES = {
    SeriesLines.SOLID, SeriesLines.DOT_DOT, SeriesLines.DASH_DOT
  };

  private Charts() {}

  /** One legend entry: a line sample, maybe a marker, a label. */
  record Entry(String label, Color color, BasicStroke stroke, Marker marker) {}

  /**
   * Where things go: the image size and the legend's bounds.
   *
   * @param width image width
   * @param height image height
   * @param legend the legend's bounds
   * @param positions each entry's top-left corner, in entry order
   */
  record Layout(int width, int height, Rectangle2D legend, List<double[]> positions) {}

  /**
   * Writes the chart of {@code results} to {@code file}.
   *
   * @param title the chart's title (the workload and pool)
   * @throws IOException if the file cannot be written
   * @return the layout used
   */
  public static Layout write(
      List<SimResult> results, String title, Provenance provenance, Format format, Path file)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<Entry> entries = new ArrayList<>();
    XYChart chart = chart(results, title, entries);
    List<String> footer = provenance.lines();
    Layout layout = layout(entries, footer.size());
    try (OutputStream out = Files.newOutputStream(file)) {
      switch (format) {
        case PNG -> {
          BufferedImage image =
              new BufferedImage(layout.width(), layout.height(), BufferedImage.TYPE_INT_RGB);
          Graphics2D g = image.createGraphics();
          paint(g, chart, entries, footer, layout);
          g.dispose();
          ImageIO.write(image, "png", out);
        }
        case SVG -> {
          VectorGraphics2D g = new VectorGraphics2D();
          paint(g, chart, entries, footer, layout);
          new SVGProcessor()
              .getDocument(g.getCommands(), new PageSize(0, 0, layout.width(), layout.height()))
              .writeTo(out);
        }
      }
    }
    return layout;
  }

  /** Flows the entries into rows that fit the width; the footer lines go below. */
  static Layout layout(List<Entry> entries, int footerLines) {
    BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = scratch.createGraphics();
    FontMetrics metrics = g.getFontMetrics(FONT);
    double x = MARGIN;
    double y = PLOT_HEIGHT + 4;
    double right = 0;
    List<double[]> positions = new ArrayList<>();
    for (Entry e : entries) {
      double w = SAMPLE + 6 + metrics.stringWidth(e.label()) + 18;
      if (x > MARGIN && x + w > WIDTH - MARGIN) {
        x = MARGIN;
        y += ROW;
      }
      positions.add(new double[] {x, y});
      x += w;
      right = Math.max(right, x);
    }
    g.dispose();
    double legendHeight = entries.isEmpty() ? 0 : y + ROW - (PLOT_HEIGHT + 4);
    Rectangle2D legend =
        new Rectangle2D.Double(MARGIN, PLOT_HEIGHT + 4, right - MARGIN, legendHeight);
    int height = (int) Math.ceil(legend.getMaxY() + 6 + footerLines * 15 + MARGIN);
    return new Layout(WIDTH, height, legend, positions);
  }

  private static void paint(
      Graphics2D g, XYChart chart, List<Entry> entries, List<String> footer, Layout layout) {
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, layout.width(), layout.height());
    chart.paint(g, layout.width(), PLOT_HEIGHT);
    g.setFont(FONT);
    FontMetrics metrics = g.getFontMetrics();
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      double[] at = layout.positions().get(i);
      int mid = (int) at[1] + ROW / 2;
      g.setColor(e.color());
      g.setStroke(e.stroke());
      g.drawLine((int) at[0], mid, (int) at[0] + SAMPLE, mid);
      if (e.marker() != SeriesMarkers.NONE) {
        g.setStroke(new BasicStroke(1f));
        e.marker().paint(g, at[0] + SAMPLE / 2.0, mid, 8);
      }
      g.setColor(Color.DARK_GRAY);
      g.drawString(e.label(), (int) at[0] + SAMPLE + 6, mid + metrics.getAscent() / 2 - 1);
    }
    g.setColor(Color.GRAY);
    int y = (int) layout.legend().getMaxY() + 6;
    for (String line : footer) {
      y += 15;
      g.drawString(line, MARGIN, y - 3);
    }
  }

  /** The x position of a threshold on the log2 axis: log2(t), with 0 at -1. */
  static double axis(int threshold) {
    return threshold == 0 ? -1 : Math.log(threshold) / Math.log(2);
  }

  private static String tick(double x) {
    if (x < -0.5) {
      return x < -0.99 ? "0" : "";
    }
    return Long.toString(Math.round(Math.pow(2, x)));
  }

  private static XYChart chart(List<SimResult> results, String title, List<Entry> entries) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(PLOT_HEIGHT)
            .title(title)
            .xAxisTitle("max-warm (maxUnusedWarmSlots), log2 scale")
            .yAxisTitle("hit rate (%)")
            .build();
    chart.setYAxisGroupTitle(1, "peak resident in warm slots (MiB)");
    Styler styler = chart.getStyler();
    chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
    styler.setLegendVisible(false);
    chart.getStyler().setYAxisMin(0, 0.0);
    chart.getStyler().setYAxisMin(1, 0.0);
    styler.setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setMarkerSize(7);
    chart.getStyler().setxAxisTickLabelsFormattingFunction(Charts::tick);

    TreeSet<Integer> thresholds = new TreeSet<>();
    Map<String, List<SimResult>> byPolicy = new LinkedHashMap<>();
    for (SimResult r : results) {
      if (r.maxWarm() >= 0) {
        thresholds.add(r.maxWarm());
      }
      byPolicy.computeIfAbsent(r.policy(), p -> new ArrayList<>()).add(r);
    }
    if (thresholds.isEmpty()) {
      thresholds.add(0);
    }
    double low = axis(thresholds.first());
    double high = thresholds.size() == 1 ? low + 1 : axis(thresholds.last());
    int index = 0;
    for (var entry : byPolicy.entrySet()) {
      List<SimResult> runs = new ArrayList<>(entry.getValue());
      double[] x;
      double[] hit;
      double[] resident;
      if (runs.get(0).maxWarm() < 0) {
        x = new double[] {low, high};
        hit = new double[] {100 * runs.get(0).hitRate(), 100 * runs.get(0).hitRate()};
        double mib = runs.get(0).peakResidentBytes() / 1048576.0;
        resident = new double[] {mib, mib};
      } else {
        runs.sort((a, b) -> Integer.compare(a.maxWarm(), b.maxWarm()));
        x = new double[runs.size()];
        hit = new double[runs.size()];
        resident = new double[runs.size()];
        for (int i = 0; i < runs.size(); i++) {
          x[i] = axis(runs.get(i).maxWarm());
          hit[i] = 100 * runs.get(i).hitRate();
          resident[i] = runs.get(i).peakResidentBytes() / 1048576.0;
        }
      }
      Color color = PALETTE[index % PALETTE.length];
      Marker marker = MARKERS[index % MARKERS.length];
      BasicStroke line = HIT_LINES[index % HIT_LINES.length];
      index++;
      String hitLabel = entry.getKey() + " hit rate";
      XYSeries hits = chart.addSeries(hitLabel, x, hit);
      hits.setLineColor(color);
      hits.setMarkerColor(color);
      hits.setMarker(marker);
      hits.setLineStyle(line);
      entries.add(new Entry(hitLabel, color, line, marker));
      String memoryLabel = entry.getKey() + " resident";
      XYSeries memory = chart.addSeries(memoryLabel, x, resident);
      memory.setYAxisGroup(1);
      memory.setLineStyle(SeriesLines.DASH_DASH);
      memory.setLineColor(color);
      memory.setMarkerColor(color);
      memory.setMarker(SeriesMarkers.NONE);
      entries.add(new Entry(memoryLabel, color, SeriesLines.DASH_DASH, SeriesMarkers.NONE));
    }
    return chart;
  }
}
