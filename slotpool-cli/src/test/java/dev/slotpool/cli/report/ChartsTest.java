package dev.slotpool.cli.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slotpool.cli.model.MemoryModel;
import dev.slotpool.cli.model.Policy;
import dev.slotpool.cli.model.ServiceTime;
import dev.slotpool.cli.model.SimResult;
import dev.slotpool.cli.model.Simulator;
import dev.slotpool.cli.model.StepModel;
import dev.slotpool.cli.model.Workload;
import dev.slotpool.cli.model.Workloads;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChartsTest {
  private static final Provenance PROVENANCE =
      new Provenance("slotpool simulate --out results/", 42, "slotpool test");

  private static List<SimResult> sweep(List<Policy.Kind> kinds, int[] thresholds) {
    Workload zipf = Workloads.generated("zipf", 100, 1, 0.2, 0.8, 1, 1);
    Simulator simulator =
        new Simulator(
            Simulator.Config.generated(
                zipf,
                new StepModel.Steady(StepModel.Arrivals.POISSON, 40, ServiceTime.EXP, 1000),
                64,
                10_000,
                1));
    List<SimResult> results = new ArrayList<>();
    for (Policy.Kind kind : kinds) {
      for (int t : kind.usesThreshold() ? thresholds : new int[] {thresholds[0]}) {
        results.add(simulator.run(kind, t, MemoryModel.fixed(65536), new AtomicLong()));
      }
    }
    return results;
  }

  @ParameterizedTest
  @EnumSource(Charts.Format.class)
  void legend_liesInsideTheImage_forEveryChartShape(Charts.Format format, @TempDir Path dir)
      throws IOException {
    List<List<SimResult>> shapes =
        List.of(
            sweep(Policy.Kind.all(), new int[] {0, 1, 2, 4, 8, 16, 32, 64}), // ten entries
            sweep(List.of(Policy.Kind.AFFINITY), new int[] {0, 64}),
            sweep(List.of(Policy.Kind.RANDOM, Policy.Kind.FIFO), new int[] {4}));
    int n = 0;
    for (List<SimResult> results : shapes) {
      Path file =
          dir.resolve("chart" + n++ + "." + format.name().toLowerCase(java.util.Locale.ROOT));
      Charts.Layout layout = Charts.write(results, "title", PROVENANCE, format, file);

      assertThat(layout.legend().getMinX()).isGreaterThanOrEqualTo(0);
      assertThat(layout.legend().getMinY()).isGreaterThanOrEqualTo(0);
      assertThat(layout.legend().getMaxX()).isLessThanOrEqualTo(layout.width());
      assertThat(layout.legend().getMaxY()).isLessThanOrEqualTo(layout.height());
      assertThat(layout.positions())
          .hasSize((int) (2 * results.stream().map(SimResult::policy).distinct().count()));
      if (format == Charts.Format.PNG) {
        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image.getWidth()).isEqualTo(layout.width());
        assertThat(image.getHeight()).isEqualTo(layout.height());
      } else {
        String svg = Files.readString(file);
        Matcher size = Pattern.compile("<svg[^>]*height=\"([0-9.]+)").matcher(svg);
        assertThat(size.find()).as(svg.substring(0, 300)).isTrue();
        assertThat(Double.parseDouble(size.group(1))).isEqualTo((double) layout.height());
        assertThat(svg).contains("slotpool simulate --out results/");
      }
    }
  }

  @org.junit.jupiter.api.Test
  void thresholdAxis_isLog2_withZeroAtTheLeft() {
    assertThat(Charts.axis(0)).isEqualTo(-1.0);
    assertThat(Charts.axis(1)).isEqualTo(0.0);
    assertThat(Charts.axis(1024)).isEqualTo(10.0);
  }
}
