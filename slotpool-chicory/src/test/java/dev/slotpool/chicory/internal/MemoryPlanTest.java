package dev.slotpool.chicory.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which data segments go into a memory's image, and which are left to copy at instantiation. */
class MemoryPlanTest {
  private static final MemoryLimits TWO_PAGES = new MemoryLimits(2, 4);

  private static ActiveDataSegment at(int memory, int offset, int length) {
    var expr = List.of(new Instruction(-1, OpCode.I32_CONST, new long[] {offset}));
    return new ActiveDataSegment(memory, expr, new byte[length]);
  }

  private static ActiveDataSegment atGlobal(int global, int length) {
    var expr = List.of(new Instruction(-1, OpCode.GLOBAL_GET, new long[] {global}));
    return new ActiveDataSegment(0, expr, new byte[length]);
  }

  private static boolean[] inImage(MemoryPlan plan, int count) {
    boolean[] out = new boolean[count];
    for (int i = 0; i < count; i++) {
      out[i] = plan.inImage(i);
    }
    return out;
  }

  @Test
  void image_holdsTheConstantPrefix_andEverythingAfterAGlobalOffsetIsCopied() {
    DataSegment[] segments = {
      at(0, 0, 10), new PassiveDataSegment(new byte[3]), at(0, 500, 20), atGlobal(0, 5), at(0, 0, 4)
    };
    try (var plan = MemoryPlan.create("m", 0, TWO_PAGES, segments)) {
      assertThat(inImage(plan, segments.length)).containsExactly(true, false, true, false, false);
      assertThat(plan.imageExtent()).isEqualTo(520);
      assertThat(plan.image()).isNotNull();
    }
  }

  @Test
  void image_stopsAtASegmentOutsideTheInitialMemory() {
    DataSegment[] segments = {at(0, 0, 8), at(0, 2 * 65_536 - 4, 8), at(0, 16, 8)};
    try (var plan = MemoryPlan.create("m", 0, TWO_PAGES, segments)) {
      assertThat(inImage(plan, segments.length)).containsExactly(true, false, false);
      assertThat(plan.imageExtent()).isEqualTo(8);
    }
  }

  @Test
  void image_ofAnotherMemoryIndex_ignoresThisMemorysSegments() {
    DataSegment[] segments = {at(0, 0, 8), at(1, 64, 8)};
    try (var plan = MemoryPlan.create("m", 1, TWO_PAGES, segments)) {
      assertThat(inImage(plan, segments.length)).containsExactly(false, true);
      assertThat(plan.imageExtent()).isEqualTo(72);
    }
  }

  @Test
  void image_noConstantSegments_isNull() {
    DataSegment[] segments = {atGlobal(0, 5), at(0, -1, 1)};
    try (var plan = MemoryPlan.create("m", 0, TWO_PAGES, segments)) {
      assertThat(plan.image()).isNull();
      assertThat(plan.imageExtent()).isZero();
      assertThat(inImage(plan, segments.length)).containsExactly(false, false);
    }
  }

  @Test
  void key_isOnePerPlan_andNamesTheMemory() {
    try (var a = MemoryPlan.create("mod", 0, TWO_PAGES, new DataSegment[0]);
        var b = MemoryPlan.create("mod", 0, TWO_PAGES, new DataSegment[0])) {
      assertThat(a.key()).isNotEqualTo(b.key());
      assertThat(a.key()).hasToString("mod memory 0");
    }
  }
}
