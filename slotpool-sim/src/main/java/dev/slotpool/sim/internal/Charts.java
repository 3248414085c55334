package dev.slotpool.sim.internal;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws a sweep as one chart: hit rate (left axis, solid lines) and peak resident memory of the
 * warm slots (right axis, dashed lines) against {@code max-warm}, one pair of lines per policy. A
 * policy without a threshold is drawn flat across the sweep, as the baseline it is.
 */
public final class Charts {
  /** Image formats a chart can be written in. */
  public enum Format {
    /** A bitmap, 1000x600. */
    PNG,
    /** A vector image. */
    SVG
  }

  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xd62728),
    new Color(0x2ca02c),
    new Color(0xff7f0e),
    new Color(0x9467bd),
    new Color(0x8c564b)
  };

  private Charts() {}

  /**
   * Writes the chart of {@code results} to {@code file}.
   *
   * @param title the chart's title (the workload and pool)
   * @throws IOException if the file cannot be written
   */
  public static void write(List<SimResult> results, String title, Format format, Path file)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart =
        new XYChartBuilder()
            .width(1000)
            .height(600)
            .title(title)
            .xAxisTitle("max-warm (maxUnusedWarmSlots)")
            .yAxisTitle("hit rate (%)")
            .build();
    chart.setYAxisGroupTitle(1, "peak resident in warm slots (MiB)");
    chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setYAxisMin(0, 0.0);
    chart.getStyler().setYAxisMin(1, 0.0);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setMarkerSize(5);

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
    double[] flatX =
        thresholds.size() == 1
            ? new double[] {thresholds.first(), thresholds.first() + 1}
            : new double[] {thresholds.first(), thresholds.last()};
    int colorIndex = 0;
    for (var entry : byPolicy.entrySet()) {
      List<SimResult> runs = entry.getValue();
      double[] x;
      double[] hit;
      double[] resident;
      if (runs.get(0).maxWarm() < 0) {
        x = flatX;
        hit = new double[] {100 * runs.get(0).hitRate(), 100 * runs.get(0).hitRate()};
        double mib = runs.get(0).peakResidentBytes() / 1048576.0;
        resident = new double[] {mib, mib};
      } else {
        runs = new ArrayList<>(runs);
        runs.sort((a, b) -> Integer.compare(a.maxWarm(), b.maxWarm()));
        x = new double[runs.size()];
        hit = new double[runs.size()];
        resident = new double[runs.size()];
        for (int i = 0; i < runs.size(); i++) {
          x[i] = runs.get(i).maxWarm();
          hit[i] = 100 * runs.get(i).hitRate();
          resident[i] = runs.get(i).peakResidentBytes() / 1048576.0;
        }
      }
      // One colour per policy: its hit rate solid, its memory dashed.
      Color color = PALETTE[colorIndex++ % PALETTE.length];
      XYSeries hits = chart.addSeries(entry.getKey() + " hit rate", x, hit);
      hits.setLineColor(color);
      hits.setMarkerColor(color);
      hits.setMarker(SeriesMarkers.CIRCLE);
      XYSeries memory = chart.addSeries(entry.getKey() + " resident", x, resident);
      memory.setYAxisGroup(1);
      memory.setLineStyle(SeriesLines.DASH_DASH);
      memory.setLineColor(color);
      memory.setMarkerColor(color);
      memory.setMarker(SeriesMarkers.NONE);
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      switch (format) {
        case PNG -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        case SVG ->
            VectorGraphicsEncoder.saveVectorGraphic(
                chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
      }
    }
  }
}
