package dev.slotpool.example;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small closed-loop load generator for the greet service: {@code concurrency} threads each send
 * one request at a time until {@code requests} have been sent or {@code time} has passed, whichever
 * comes first, then it reports requests per second and the latency percentiles.
 *
 * <p>It only targets loopback addresses (127.0.0.0/8, ::1, {@code localhost}): it is a tool for
 * measuring this example on one's own machine, and it always stops by itself.
 *
 * <p>Thread-safe: each {@link #run} uses its own threads and client.
 */
public final class LoadGenerator {
  /*
   * Implementation notes.
   *
   * Every worker records each request's latency in its own long[] (sized for the request limit),
   * so recording costs no synchronisation; the arrays are merged and sorted once at the end for
   * the exact percentiles. A shared counter hands out the request budget.
   */

  /**
   * What one run measured.
   *
   * @param uri the target
   * @param requests requests answered with status 200 and a greeting
   * @param errors requests that failed or got another answer
   * @param seconds the run's wall-clock time
   * @param p50Micros the median latency of the successful requests, in microseconds
   * @param p99Micros their 99th percentile, in microseconds
   */
  public record Result(
      URI uri, long requests, long errors, double seconds, long p50Micros, long p99Micros) {
    /** Successful requests per second. */
    public double requestsPerSecond() {
      return requests / seconds;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%s: %d requests in %.1f s, %.0f req/s, p50 %d us, p99 %d us, %d errors",
          uri,
          requests,
          seconds,
          requestsPerSecond(),
          p50Micros,
          p99Micros,
          errors);
    }
  }

  private LoadGenerator() {}

  /**
   * Sends requests to {@code uri} from {@code concurrency} threads until {@code maxRequests} have
   * been sent or {@code maxTime} has passed.
   *
   * @throws IllegalArgumentException if {@code uri} is not an http URI of a loopback address, or a
   *     limit is not positive
   */
  public static Result run(URI uri, int concurrency, int maxRequests, Duration maxTime)
      throws Exception {
    checkLoopback(uri);
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: >= 1)");
    }
    if (maxRequests < 1) {
      throw new IllegalArgumentException("requests: " + maxRequests + " (expected: >= 1)");
    }
    if (maxTime.isNegative() || maxTime.isZero()) {
      throw new IllegalArgumentException("time: " + maxTime + " (expected: > 0)");
    }
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build();
    AtomicLong budget = new AtomicLong(maxRequests);
    AtomicLong errors = new AtomicLong();
    long start = System.nanoTime();
    long deadline = start + maxTime.toNanos();
    List<long[]> latencies = new ArrayList<>();
    int[] counts = new int[concurrency];
    try (HttpClient client =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        ExecutorService workers = Executors.newFixedThreadPool(concurrency)) {
      List<Future<?>> running = new ArrayList<>();
      for (int w = 0; w < concurrency; w++) {
        long[] mine = new long[maxRequests];
        latencies.add(mine);
        int worker = w;
        running.add(
            workers.submit(
                () -> {
                  int n = 0;
                  while (System.nanoTime() < deadline && budget.getAndDecrement() > 0) {
                    long sent = System.nanoTime();
                    if (ok(client, request)) {
                      mine[n++] = System.nanoTime() - sent;
                    } else {
                      errors.incrementAndGet();
                    }
                  }
                  counts[worker] = n;
                  return null;
                }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int w = 0; w < concurrency; w++) {
      System.arraycopy(latencies.get(w), 0, all, at, counts[w]);
      at += counts[w];
    }
    Arrays.sort(all);
    return new Result(
        uri, total, errors.get(), seconds, percentile(all, 0.50), percentile(all, 0.99));
  }

  private static boolean ok(HttpClient client, HttpRequest request) {
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && response.body().contains("greeted");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The nearest-rank percentile of sorted nanoseconds, in microseconds (0 if there are none). */
  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, rank - 1)] / 1000;
  }

  /**
   * Refuses anything but an http URI whose host is a loopback address.
   *
   * @throws IllegalArgumentException naming the URI and what was expected
   */
  static void checkLoopback(URI uri) throws IOException {
    String host = uri.getHost();
    boolean loopback =
        "http".equals(uri.getScheme())
            && host != null
            && (host.equals("localhost")
                || (isAddressLiteral(host) && InetAddress.getByName(host).isLoopbackAddress()));
    if (!loopback) {
      throw new IllegalArgumentException(
          "url: "
              + uri
              + " (expected: http:// on a loopback address, 127.0.0.1, [::1] or localhost)");
    }
  }

  /** An IPv4 or bracketed IPv6 literal: resolving it needs no name lookup. */
  private static boolean isAddressLiteral(String host) {
    return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || host.startsWith("[");
  }

  /**
   * Loads each URL in turn, {@code rounds} times, and prints each run and the median of each URL's
   * runs: {@code [--url URL]... [--concurrency 2] [--requests 20000] [--seconds 10] [--rounds 3]
   * [--warmup 2000]} (the warm-up requests of each URL are sent once, first, and not counted).
   */
  public static void main(String[] args) throws Exception {
    List<URI> urls = new ArrayList<>();
    int concurrency = 2;
    int requests = 20_000;
    int seconds = 10;
    int rounds = 3;
    int warmup = 2_000;
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(args[i] + ": missing value");
      }
      String value = args[i + 1];
      switch (args[i]) {
        case "--url" -> urls.add(URI.create(value));
        case "--concurrency" -> concurrency = Integer.parseInt(value);
        case "--requests" -> requests = Integer.parseInt(value);
        case "--seconds" -> seconds = Integer.parseInt(value);
        case "--rounds" -> rounds = Integer.parseInt(value);
        case "--warmup" -> warmup = Integer.parseInt(value);
        default ->
            throw new IllegalArgumentException(
                "option: "
                    + args[i]
                    + " (expected: --url, --concurrency, --requests, --seconds, --rounds or"
                    + " --warmup)");
      }
    }
    if (urls.isEmpty()) {
      urls.add(URI.create("http://127.0.0.1:8080/greet?name=Ada"));
    }
    for (URI url : urls) {
      checkLoopback(url);
      if (warmup > 0) {
        System.out.println("warm-up " + run(url, concurrency, warmup, Duration.ofSeconds(60)));
      }
    }
    List<List<Result>> byUrl = new ArrayList<>();
    urls.forEach(u -> byUrl.add(new ArrayList<>()));
    for (int round = 1; round <= rounds; round++) {
      for (int u = 0; u < urls.size(); u++) {
        Result result = run(urls.get(u), concurrency, requests, Duration.ofSeconds(seconds));
        byUrl.get(u).add(result);
        System.out.println("round " + round + " " + result);
      }
    }
    for (List<Result> results : byUrl) {
      System.out.printf(
          Locale.ROOT,
          "median of %d rounds, %s: %.0f req/s, p50 %d us, p99 %d us%n",
          results.size(),
          results.getFirst().uri(),
          median(results.stream().mapToDouble(Result::requestsPerSecond).toArray()),
          (long) median(results.stream().mapToDouble(Result::p50Micros).toArray()),
          (long) median(results.stream().mapToDouble(Result::p99Micros).toArray()));
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
