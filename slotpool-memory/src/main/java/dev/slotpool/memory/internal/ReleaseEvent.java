package dev.slotpool.memory.internal;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A {@code PooledMemory.close} that reset its slot: recorded only while a recording enables it. */
@Name("dev.slotpool.memory.Release")
@Label("Pooled Memory Release")
@Category({"slotpool", "Memory"})
@Description("A memory slot reset and returned to its MemoryPool")
@StackTrace(false)
public final class ReleaseEvent extends Event {
  @Label("Slot")
  public int slot;

  @Label("Size")
  @DataAmount
  public long byteSize;

  @Label("Kept Resident")
  @Description("Bytes restored by hand that stay resident for the next user")
  @DataAmount
  public long residentBytes;

  @Label("Decommitted")
  @Description("Bytes handed to madvise(MADV_DONTNEED), now or in a later batch")
  @DataAmount
  public long decommitBytes;

  @Label("Pagemap Scan")
  @Description("Whether PAGEMAP_SCAN limited the reset to the pages written")
  public boolean pagemapScan;

  @Label("Adaptive")
  @Description("Whether the pool keeps every written page resident (else a fixed keep-resident)")
  public boolean adaptive;
}
