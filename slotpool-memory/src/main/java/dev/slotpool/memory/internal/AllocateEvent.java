package dev.slotpool.memory.internal;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A {@code MemoryPool.allocate} that got a slot: recorded only while a JFR recording enables it.
 */
@Name("dev.slotpool.memory.Allocate")
@Label("Pooled Memory Allocate")
@Category({"slotpool", "Memory"})
@Description("A memory slot leased from a MemoryPool")
@StackTrace(false)
public final class AllocateEvent extends Event {
  @Label("Slot")
  public int slot;

  @Label("Initial Size")
  @DataAmount
  public long initialBytes;

  @Label("Image Size")
  @DataAmount
  public long imageBytes;

  @Label("Reused")
  @Description("Affinity hit on a slot that already held the image: nothing was mapped")
  public boolean reused;

  @Label("Image Mapped")
  @Description("The image was mapped copy-on-write into the slot")
  public boolean imageMapped;
}
