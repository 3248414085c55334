package dev.slotpool.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Starts the service on an ephemeral loopback port and calls it as the README does. */
class GreetServiceTest {
  private static GreetProgram program;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void load() {
    program = GreetProgram.load("c-greet"); // the smaller of the two: the test compiles it faster
  }

  private static GreetService start(GreetService.Mode mode) throws Exception {
    return GreetService.start(
        program, mode, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  private HttpResponse<String> get(GreetService service, String pathAndQuery, String body)
      throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + service.port() + pathAndQuery);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri);
    if (body != null) {
      request.POST(HttpRequest.BodyPublishers.ofString(body));
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of the Prometheus sample {@code name{...tags...}}, with tags in any order. */
  private static double sample(String scrape, String name, String... tags) {
    Pattern line =
        Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(scrape);
    while (m.find()) {
      List<String> labels = List.of(m.group(1).split(","));
      if (labels.containsAll(List.of(tags))) {
        return Double.parseDouble(m.group(2));
      }
    }
    throw new AssertionError(name + " with " + List.of(tags) + " is not in:\n" + scrape);
  }

  @Test
  void pooled_greets_andMetricsShowThePool() throws Exception {
    try (GreetService service = start(GreetService.Mode.POOLED)) {
      HttpResponse<String> first =
          get(service, "/greet?name=Ada&name=Grace%20Hopper", "Alan\n\nEdsger\n");
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.body())
          .isEqualTo(
              "Hello, Ada!\nHello, Grace Hopper!\nHello, Alan!\nHello, Edsger!\n4 greeted\n");
      assertThat(get(service, "/greet?name=Barbara", null).body())
          .isEqualTo("Hello, Barbara!\n1 greeted\n");

      HttpResponse<String> metrics = get(service, "/metrics", null);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
      String scrape = metrics.body();
      String pool = "pool=\"greet\"";
      String type = "type=\"WasmInstancePool\"";
      // Two requests of one module: the first took a cold slot, the second the warm one.
      assertThat(sample(scrape, "slotpool_allocations_total", pool, type, "outcome=\"cold\""))
          .isEqualTo(1);
      assertThat(sample(scrape, "slotpool_allocations_total", pool, type, "outcome=\"hit\""))
          .isEqualTo(1);
      assertThat(sample(scrape, "slotpool_slots_in_use", pool, type)).isZero();
      assertThat(sample(scrape, "slotpool_slots_unused_warm", pool, type)).isEqualTo(1);
      assertThat(sample(scrape, "slotpool_slots_max", pool, type)).isEqualTo(1000);
      assertThat(sample(scrape, "slotpool_resident_bytes", pool, type)).isPositive();
      assertThat(sample(scrape, "slotpool_resident_budget_bytes", pool, type)).isPositive();
      for (String meter :
          List.of(
              "slotpool_waits_total",
              "slotpool_wait_time_seconds_total",
              "slotpool_leases_leaked_total",
              "slotpool_affinity_misses_total",
              "slotpool_decommits_total",
              "slotpool_budget_decommits_total")) {
        assertThat(sample(scrape, meter, pool, type)).as(meter).isNotNegative();
      }
      // The timer records as a request's exchange closes, which may follow its response: wait.
      for (int i = 0;
          i < 100 && sample(scrape, "greet_requests_seconds_count", "mode=\"pooled\"") < 2;
          i++) {
        Thread.sleep(20);
        scrape = get(service, "/metrics", null).body();
      }
      assertThat(sample(scrape, "greet_requests_seconds_count", "mode=\"pooled\""))
          .isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void plain_greetsTheSame_withoutPoolMeters() throws Exception {
    try (GreetService service = start(GreetService.Mode.PLAIN)) {
      HttpResponse<String> response = get(service, "/greet?name=Ada", "Grace\n");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("Hello, Ada!\nHello, Grace!\n2 greeted\n");
      assertThat(get(service, "/metrics", null).body()).doesNotContain("slotpool_");
    }
  }

  @Test
  void loadGenerator_sendsItsRequests_andStops() throws Exception {
    try (GreetService service = start(GreetService.Mode.POOLED)) {
      URI uri = URI.create("http://127.0.0.1:" + service.port() + "/greet?name=Ada");
      LoadGenerator.Result result = LoadGenerator.run(uri, 2, 20, Duration.ofMinutes(1));
      assertThat(result.requests()).isEqualTo(20);
      assertThat(result.errors()).isZero();
      assertThat(result.p99Micros()).isGreaterThanOrEqualTo(result.p50Micros()).isPositive();
    }
  }

  @Test
  void loadGenerator_refusesAnythingButLoopback() {
    assertThatThrownBy(
            () ->
                LoadGenerator.run(
                    URI.create("http://192.0.2.1:8080/greet"), 1, 1, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "url: http://192.0.2.1:8080/greet (expected: http:// on a loopback address,"
                + " 127.0.0.1, [::1] or localhost)");
    assertThatThrownBy(
            () ->
                LoadGenerator.run(
                    URI.create("http://example.com/greet"), 1, 1, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void badArguments_areRejected() throws Exception {
    assertThatThrownBy(() -> GreetProgram.load("nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("module: nope (expected: one of [rust-greet, c-greet])");
  }
}
