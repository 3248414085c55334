package dev.slotpool.cli.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slotpool.cli.input.BadInputException;
import dev.slotpool.cli.input.Sizes;
import dev.slotpool.cli.input.Thresholds;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ParsingTest {

  @Test
  void thresholds_listsRangesAndAuto() {
    assertThat(Thresholds.parse("-m", "4", 10)).containsExactly(4);
    assertThat(Thresholds.parse("-m", " 8, 0,8 ,2", 10)).containsExactly(0, 2, 8);
    assertThat(Thresholds.parse("-m", "0..3,10", 10)).containsExactly(0, 1, 2, 3, 10);
    assertThat(Thresholds.parse("-m", "auto", 10)).containsExactly(0, 1, 2, 4, 8, 10);
    assertThat(Thresholds.parse("-m", "auto", 1)).containsExactly(0, 1);
  }

  @Test
  void thresholds_rejectWhatDoesNotParse() {
    assertThatThrownBy(() -> Thresholds.parse("-m", "", 10)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> Thresholds.parse("-m", "1;2", 10))
        .hasMessageStartingWith("-m: '1;2' is not a threshold list");
    assertThatThrownBy(() -> Thresholds.parse("-m", "0..99999", 10))
        .hasMessageContaining("at most 4096 values");
  }

  @Test
  void sizes_parseUnitsAndFormat() {
    assertThat(Sizes.parse("s", "65536")).isEqualTo(65536);
    assertThat(Sizes.parse("s", "64KiB")).isEqualTo(65536);
    assertThat(Sizes.parse("s", "64k")).isEqualTo(65536);
    assertThat(Sizes.parse("s", "1.5 MB")).isEqualTo(3 << 19);
    assertThat(Sizes.parse("s", "2g")).isEqualTo(2L << 30);
    assertThat(Sizes.parse("s", "0")).isZero();
    assertThatThrownBy(() -> Sizes.parse("--x", "-1")).hasMessageStartingWith("--x: '-1'");
    assertThatThrownBy(() -> Sizes.parse("--x", "KiB")).isInstanceOf(BadInputException.class);
    assertThat(Sizes.format(0)).isEqualTo("0 B");
    assertThat(Sizes.format(65536)).isEqualTo("64 KiB");
    assertThat(Sizes.format(3 << 19)).isEqualTo("1.5 MiB");
  }

  @Test
  void trace_packsEventsAndNumbersKeysByFirstAppearance() throws IOException {
    Trace trace =
        Trace.parse("t.csv", "alloc, m1\n  # c\nalloc,m2\nfree,1,100\nalloc,m1\nfree,0\n");

    assertThat(trace.events()).isEqualTo(5);
    assertThat(trace.keys()).isEqualTo(2);
    assertThat(trace.allocs()).isEqualTo(3);
    assertThat(trace.isAlloc(0)).isTrue();
    assertThat(trace.key(0)).isZero();
    assertThat(trace.key(1)).isEqualTo(1);
    assertThat(trace.freedAlloc(2)).isEqualTo(1);
    assertThat(trace.freedBytes(2)).isEqualTo(100);
    assertThat(trace.key(3)).isZero();
    assertThat(trace.freedBytes(4)).isEqualTo(-1);
  }

  @Test
  void trace_withoutAllocs_isRejected() {
    assertThatThrownBy(() -> Trace.parse("e.csv", "# x\n"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("e.csv: no alloc lines (expected: at least one alloc,KEY)");
  }
}
