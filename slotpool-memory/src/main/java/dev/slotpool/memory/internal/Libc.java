package dev.slotpool.memory.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.slotpool.memory.NativeMemoryException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls the memory layer makes, as FFM downcalls that capture {@code errno}. Every
 * method either succeeds or throws {@link NativeMemoryException} with the call, its arguments and
 * {@code strerror(errno)}.
 *
 * <p>Linux only (the constants are the x86-64 and AArch64 values, which agree). Thread-safe: the
 * call-state buffer that receives {@code errno} is per thread.
 */
// Restricted FFM methods (downcalls, reinterpret) are the point of this layer: callers grant
// native access to the module (or ALL-UNNAMED on the class path).
@SuppressWarnings("restricted")
public final class Libc {
  /*
   * Implementation notes.
   *
   * Each handle is linked once with Linker.Option.captureCallState("errno"), so it takes a leading
   * MemorySegment into which the JVM stores errno right after the call, before any other native
   * code can overwrite it. That segment comes from a ThreadLocal backed by an automatic arena, so a
   * call allocates nothing and threads never share it. ioctl and open are variadic in C and are
   * linked with firstVariadicArg, as the ABI requires.
   */

  public static final int PROT_NONE = 0;
  public static final int PROT_READ = 1;
  public static final int PROT_WRITE = 2;
  public static final int MAP_SHARED = 0x01;
  public static final int MAP_PRIVATE = 0x02;
  public static final int MAP_FIXED = 0x10;
  public static final int MAP_ANONYMOUS = 0x20;
  public static final int MAP_NORESERVE = 0x4000;
  public static final int MADV_DONTNEED = 4;
  public static final int MADV_NOHUGEPAGE = 15;
  public static final int MFD_CLOEXEC = 1;
  public static final int O_RDONLY = 0;
  public static final int O_CLOEXEC = 0x80000;
  private static final int SC_PAGESIZE = 30;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));
  private static final ThreadLocal<MemorySegment> STATE =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

  private static final MethodHandle MMAP =
      link(
          "mmap",
          FunctionDescriptor.of(
              ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
  private static final MethodHandle MUNMAP =
      link("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle MPROTECT =
      link("mprotect", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  private static final MethodHandle MADVISE =
      link("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  private static final MethodHandle MEMFD_CREATE =
      link("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle FTRUNCATE =
      link("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
  private static final MethodHandle CLOSE =
      link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle OPEN =
      link(
          "open",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
          Linker.Option.firstVariadicArg(2));
  private static final MethodHandle IOCTL =
      link(
          "ioctl",
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
          Linker.Option.firstVariadicArg(2));
  private static final MethodHandle STRERROR =
      LINKER.downcallHandle(
          LINKER.defaultLookup().findOrThrow("strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
  private static final MethodHandle SYSCONF =
      LINKER.downcallHandle(
          LINKER.defaultLookup().findOrThrow("sysconf"),
          FunctionDescriptor.of(JAVA_LONG, JAVA_INT));

  private static final long PAGE_SIZE = sysconf(SC_PAGESIZE);

  private Libc() {}

  private static MethodHandle link(
      String name, FunctionDescriptor descriptor, Linker.Option... extra) {
    Linker.Option[] options = new Linker.Option[extra.length + 1];
    options[0] = Linker.Option.captureCallState("errno");
    System.arraycopy(extra, 0, options, 1, extra.length);
    return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor, options);
  }

  /** The page size, from {@code sysconf(_SC_PAGESIZE)}. */
  public static long pageSize() {
    return PAGE_SIZE;
  }

  /** Whether this JVM runs on Linux, the only system whose constants this class knows. */
  public static boolean isLinux() {
    return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux");
  }

  /** {@code mmap}; returns the address, or throws. */
  public static long mmap(long address, long length, int prot, int flags, int fd, long offset) {
    MemorySegment state = STATE.get();
    MemorySegment result;
    try {
      result =
          (MemorySegment)
              MMAP.invokeExact(
                  state, MemorySegment.ofAddress(address), length, prot, flags, fd, offset);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    if (result.address() == -1L) {
      throw failure(
          state,
          "mmap(addr=0x"
              + Long.toHexString(address)
              + ", len="
              + length
              + ", prot="
              + prot
              + ", flags=0x"
              + Integer.toHexString(flags)
              + ", fd="
              + fd
              + ")");
    }
    return result.address();
  }

  /** {@code munmap}. */
  public static void munmap(long address, long length) {
    MemorySegment state = STATE.get();
    int rc;
    try {
      rc = (int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(address), length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    check(rc, state, "munmap", address, length);
  }

  /** {@code mprotect}. */
  public static void mprotect(long address, long length, int prot) {
    MemorySegment state = STATE.get();
    int rc;
    try {
      rc = (int) MPROTECT.invokeExact(state, MemorySegment.ofAddress(address), length, prot);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    check(rc, state, "mprotect(prot=" + prot + ")", address, length);
  }

  /** {@code madvise}. */
  public static void madvise(long address, long length, int advice) {
    MemorySegment state = STATE.get();
    int rc;
    try {
      rc = (int) MADVISE.invokeExact(state, MemorySegment.ofAddress(address), length, advice);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    check(rc, state, "madvise(advice=" + advice + ")", address, length);
  }

  /** {@code memfd_create(name, MFD_CLOEXEC)}; returns the file descriptor. */
  public static int memfdCreate(String name) {
    MemorySegment state = STATE.get();
    int fd;
    try (Arena arena = Arena.ofConfined()) {
      fd = (int) MEMFD_CREATE.invokeExact(state, arena.allocateFrom(name), MFD_CLOEXEC);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    if (fd < 0) {
      throw failure(state, "memfd_create(" + name + ")");
    }
    return fd;
  }

  /** {@code ftruncate}. */
  public static void ftruncate(int fd, long length) {
    MemorySegment state = STATE.get();
    int rc;
    try {
      rc = (int) FTRUNCATE.invokeExact(state, fd, length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    if (rc != 0) {
      throw failure(state, "ftruncate(fd=" + fd + ", len=" + length + ")");
    }
  }

  /** {@code close}. */
  public static void close(int fd) {
    MemorySegment state = STATE.get();
    int rc;
    try {
      rc = (int) CLOSE.invokeExact(state, fd);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    if (rc != 0) {
      throw failure(state, "close(fd=" + fd + ")");
    }
  }

  /** {@code open(path, flags, 0)}; returns the file descriptor. */
  public static int open(String path, int flags) {
    MemorySegment state = STATE.get();
    int fd;
    try (Arena arena = Arena.ofConfined()) {
      fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), flags, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    if (fd < 0) {
      throw failure(state, "open(" + path + ")");
    }
    return fd;
  }

  /** {@code ioctl(fd, request, argument)}; returns its non-negative result. */
  public static int ioctl(int fd, long request, MemorySegment argument) {
    MemorySegment state = STATE.get();
    int rc;
    try {
      rc = (int) IOCTL.invokeExact(state, fd, request, argument);
    } catch (Throwable t) {
      throw rethrow(t);
    }
    if (rc < 0) {
      throw failure(state, "ioctl(fd=" + fd + ", request=0x" + Long.toHexString(request) + ")");
    }
    return rc;
  }

  /** {@code strerror(errno)}. */
  public static String strerror(int errno) {
    try {
      MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
      return text.reinterpret(1024).getString(0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static long sysconf(int name) {
    try {
      return (long) SYSCONF.invokeExact(name);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static void check(int rc, MemorySegment state, String call, long address, long length) {
    if (rc != 0) {
      throw failure(
          state, call + " of [0x" + Long.toHexString(address) + ", +" + length + " bytes)");
    }
  }

  private static NativeMemoryException failure(MemorySegment state, String call) {
    int errno = (int) ERRNO.get(state, 0L);
    return new NativeMemoryException(call, errno, strerror(errno));
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException e) {
      throw e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException("unexpected checked exception from a downcall", t);
  }
}
