package dev.slotpool.memory.internal;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A batch of decommits: recorded only while a JFR recording enables it. */
@Name("dev.slotpool.memory.Decommit")
@Label("Pooled Memory Decommit")
@Category({"slotpool", "Memory"})
@Description("Pages of released slots dropped with madvise(MADV_DONTNEED)")
@StackTrace(false)
public final class DecommitEvent extends Event {
  @Label("Slots")
  public int slots;

  @Label("Decommitted")
  @DataAmount
  public long bytes;
}
