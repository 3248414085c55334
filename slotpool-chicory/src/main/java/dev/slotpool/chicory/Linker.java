package dev.slotpool.chicory;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MutabilityType;
import dev.slotpool.chicory.internal.RequestWasi;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The imports of a {@link PreparedModule}, with host state per request: host functions are bound to
 * an instance once, and reach the context of whichever request the instance serves, so
 * instantiating (or recycling) an instance rebuilds no host function. {@code C} is the type of a
 * request's context: {@link WasiOptions} for WASI programs ({@link #wasi()}), or a type of the
 * service's own that holds its WASI options and host objects.
 *
 * <pre>{@code
 * record Request(WasiOptions wasi, Map<String, String> headers) {}
 *
 * Linker<Request> linker =
 *     Linker.<Request>builder()
 *         .wasi(Request::wasi)
 *         .function("env", "header_count", FunctionType.returning(ValType.I32),
 *             (request, instance, args) -> new long[] {request.headers().size()})
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe; one linker may serve any number of prepared modules.
 *
 * @param <C> the type of a request's context
 */
public final class Linker<C> {
  private final Function<? super C, WasiOptions> wasi;
  private final List<ContextBound<C>> contextFunctions;
  private final ImportValues shared;

  private Linker(Builder<C> builder) {
    this.wasi = builder.wasi;
    this.contextFunctions = List.copyOf(builder.contextFunctions);
    this.shared = builder.shared.build();
  }

  /** A linker of WASI Preview 1 alone, whose requests' contexts are their {@link WasiOptions}. */
  public static Linker<WasiOptions> wasi() {
    return Linker.<WasiOptions>builder().wasi(Function.identity()).build();
  }

  /** Starts a linker whose requests' contexts are of type {@code C}. */
  public static <C> Builder<C> builder() {
    return new Builder<>();
  }

  /**
   * Whether the shared imports hold host state a recycled instance cannot reset: a memory, a table,
   * or a mutable global.
   */
  boolean holdsHostState() {
    if (shared.memoryCount() > 0 || shared.tableCount() > 0) {
      return true;
    }
    for (var global : shared.globals()) {
      if (global.instance().getMutabilityType() == MutabilityType.Var) {
        return true;
      }
    }
    return false;
  }

  /** A host function of a request's context: the context of the request being served. */
  @FunctionalInterface
  public interface ContextFunction<C> {
    /**
     * Runs the function for {@code context}, the context the request's instance was instantiated
     * with.
     */
    long[] apply(C context, Instance instance, long... args);
  }

  /** The imports of one instance, bound once, serving one request at a time. */
  Binding<C> bind() {
    return new Binding<>(this);
  }

  /**
   * One instance's imports: what its host functions reach. Not thread-safe: one request at a time.
   */
  static final class Binding<C> {
    private final Linker<C> linker;
    private final RequestWasi wasi;
    private C context;

    private Binding(Linker<C> linker) {
      this.linker = linker;
      this.wasi = linker.wasi == null ? null : new RequestWasi();
    }

    /** Serves the next request, whose context is {@code context}. */
    void begin(C context) {
      this.context = context;
      if (wasi != null) {
        WasiOptions options = linker.wasi.apply(context);
        if (options == null) {
          throw new NullPointerException("the linker's WASI options of " + context + " are null");
        }
        wasi.begin(options);
      }
    }

    /** Ends the request: the context and its streams are let go. */
    void end() {
      context = null;
      if (wasi != null) {
        wasi.end();
      }
    }

    /** Closes what the instance still holds (WASI's descriptors), when it is dropped. */
    void close() {
      context = null;
      if (wasi != null) {
        wasi.closeContext();
      }
    }

    /** The import values to build the instance with; after the first {@link #begin}. */
    ImportValues imports() {
      var builder = ImportValues.builder();
      if (wasi != null) {
        builder.addFunction(wasi.hostFunctions());
      }
      for (ContextBound<C> f : linker.contextFunctions) {
        ContextFunction<? super C> function = f.function;
        builder.addFunction(
            new HostFunction(
                f.module,
                f.name,
                f.type,
                (instance, args) -> function.apply(context, instance, args)));
      }
      ImportValues shared = linker.shared;
      builder.addFunction(shared.functions());
      builder.addGlobal(shared.globals());
      builder.addMemory(shared.memories());
      builder.addTable(shared.tables());
      builder.addTag(shared.tags());
      return builder.build();
    }
  }

  private record ContextBound<C>(
      String module, String name, FunctionType type, ContextFunction<? super C> function) {}

  /**
   * Configures a {@link Linker}. Not thread-safe.
   *
   * @param <C> the type of a request's context
   */
  public static final class Builder<C> {
    private Function<? super C, WasiOptions> wasi;
    private final List<ContextBound<C>> contextFunctions = new ArrayList<>();
    private final ImportValues.Builder shared = ImportValues.builder();

    private Builder() {}

    /**
     * Imports WASI Preview 1 ({@code wasi_snapshot_preview1}); each request's streams, arguments,
     * environment, directories, clock and random are {@code options} of its context, and its
     * file-descriptor table is new.
     */
    public Builder<C> wasi(Function<? super C, WasiOptions> options) {
      this.wasi = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Imports {@code module.name} of {@code type}: {@code function} of the request's context. */
    public Builder<C> function(
        String module, String name, FunctionType type, ContextFunction<? super C> function) {
      contextFunctions.add(
          new ContextBound<>(
              Objects.requireNonNull(module, "module"),
              Objects.requireNonNull(name, "name"),
              Objects.requireNonNull(type, "type"),
              Objects.requireNonNull(function, "function")));
      return this;
    }

    /** Imports host functions that need no request context, shared by every instance. */
    public Builder<C> functions(ImportFunction... functions) {
      shared.addFunction(Objects.requireNonNull(functions, "functions"));
      return this;
    }

    /**
     * Imports {@code values} (functions, globals, memories, tables, tags), shared by every
     * instance. An imported memory or table, or a mutable global, is host state a recycled instance
     * cannot reset: a prepared module importing one builds a new instance for every request.
     */
    public Builder<C> imports(ImportValues values) {
      Objects.requireNonNull(values, "values");
      shared.addFunction(values.functions());
      shared.addGlobal(values.globals());
      shared.addMemory(values.memories());
      shared.addTable(values.tables());
      shared.addTag(values.tags());
      return this;
    }

    public Linker<C> build() {
      return new Linker<>(this);
    }
  }
}
