package shop;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every shop service shares: an HTTP server on PORT (default 8080) with
 * liveness (/healthz) and readiness (/ready) that can be broken and fixed at
 * run time (POST /admin/ready?state=fail|ok, POST /admin/live?state=fail|ok),
 * a downstream HTTP client, and one stdout line per request served or made.
 */
public final class Service {
  /** An endpoint's answer: status code and JSON body. */
  public record Reply(int status, String body) {}

  /** An endpoint's logic; throws to answer 502 naming the failed call. */
  public interface Endpoint {
    Reply handle(HttpExchange exchange) throws Exception;
  }

  private final String name;
  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(8);
  private final AtomicBoolean ready = new AtomicBoolean(true);
  private final AtomicBoolean live = new AtomicBoolean(true);
  // HTTP/1.1 only: the JDK client would otherwise offer an h2c upgrade on every call
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  public Service(String name) throws IOException {
    this.name = name;
    String bind = env("BIND_ADDRESS", "0.0.0.0");
    int port = Integer.parseInt(env("PORT", "8080"));
    server = HttpServer.create(new InetSocketAddress(bind, port), 64);
    server.setExecutor(pool);
    route("/healthz", ex -> live.get() ? json(200, "status", "ok") : json(503, "status", "failing"));
    route("/ready", ex -> ready.get() ? json(200, "status", "ready") : json(503, "status", "not ready"));
    route("/admin/ready", ex -> toggle(ex, ready, "ready"));
    route("/admin/live", ex -> toggle(ex, live, "live"));
  }

  public static String env(String key, String fallback) {
    String v = System.getenv(key);
    return v == null || v.isEmpty() ? fallback : v;
  }

  /** Serves path (and everything below it) with the endpoint, logging each request. */
  public void route(String path, Endpoint endpoint) {
    server.createContext(path, (HttpHandler) ex -> serve(ex, endpoint));
  }

  public void start() {
    server.start();
    // the JVM turns SIGTERM into shutdown hooks: stop accepting and exit at once
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log("event=stopping");
                  server.stop(0);
                  pool.shutdownNow();
                }));
    log("event=listening port=" + server.getAddress().getPort());
  }

  /** GET url; returns the body, or throws naming the URL and the status. */
  public String call(String url) throws IOException, InterruptedException {
    long start = System.nanoTime();
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build();
    try {
      HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString());
      log("event=call url=" + url + " status=" + res.statusCode() + " ms=" + millis(start));
      if (res.statusCode() != 200) {
        throw new IOException(url + " answered " + res.statusCode() + ": " + res.body());
      }
      return res.body();
    } catch (IOException e) {
      log("event=call url=" + url + " error=" + quote(String.valueOf(e.getMessage())) + " ms=" + millis(start));
      throw e;
    }
  }

  public void log(String fields) {
    System.out.println(Instant.now() + " service=" + name + " " + fields);
  }

  public static Reply json(int status, String key, String value) {
    return new Reply(status, "{\"" + key + "\":" + quote(value) + "}");
  }

  public static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  private Reply toggle(HttpExchange ex, AtomicBoolean flag, String what) {
    if (!"POST".equals(ex.getRequestMethod())) {
      return json(405, "error", "use POST /admin/" + what + "?state=fail|ok");
    }
    String query = ex.getRequestURI().getQuery();
    String state = query != null && query.startsWith("state=") ? query.substring(6) : "";
    if (!state.equals("fail") && !state.equals("ok")) {
      return json(400, "error", "state must be fail or ok, got " + quote(state));
    }
    flag.set(state.equals("ok"));
    return json(200, what, state);
  }

  private void serve(HttpExchange ex, Endpoint endpoint) throws IOException {
    long start = System.nanoTime();
    Reply reply;
    try (InputStream in = ex.getRequestBody()) {
      in.readAllBytes();
      reply = endpoint.handle(ex);
    } catch (Exception e) {
      reply = json(502, "error", name + ": " + e.getMessage());
    }
    byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(reply.status(), body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
    log("event=request method=" + ex.getRequestMethod() + " path=" + ex.getRequestURI().getPath()
        + " status=" + reply.status() + " from=" + ex.getRemoteAddress().getAddress().getHostAddress()
        + " ms=" + millis(start));
  }

  private static long millis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
