import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the real node's self-tests run inside pods, in one JVM: steps of
 *   get URL            an HTTP GET
 *   resolve NAME       a DNS lookup through the pod's resolver (search domains included)
 *   k8s-get PATH       the Kubernetes API with the pod's service-account token and CA,
 *                      at KUBERNETES_SERVICE_HOST:PORT as client-go's in-cluster config
 *   k8s-get-by-name PATH   the same at kubernetes.default.svc (DNS and the certificate's name)
 * Each step prints one line: RESULT {"step":..,"arg":..,"ok":..,"status":..,"detail":..}.
 */
public final class Toolbox {
  private static final Path SA = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  public static void main(String[] args) {
    if (args.length < 2 || args.length % 2 != 0) {
      System.err.println("usage: (get URL | resolve NAME | k8s-get PATH | k8s-get-by-name PATH)...");
      System.exit(64);
    }
    for (int i = 0; i < args.length; i += 2) {
      String step = args[i];
      String arg = args[i + 1];
      List<Object> r;
      try {
        r = switch (step) {
          case "get" -> get(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), arg, null);
          case "resolve" -> resolve(arg);
          case "k8s-get" -> k8sGet(System.getenv("KUBERNETES_SERVICE_HOST") + ":" + System.getenv("KUBERNETES_SERVICE_PORT"), arg);
          case "k8s-get-by-name" -> k8sGet("kubernetes.default.svc:443", arg);
          default -> List.of(false, 0, "unknown step");
        };
      } catch (Exception e) {
        r = List.of(false, 0, e.toString());
      }
      System.out.println("RESULT {\"step\":" + q(step) + ",\"arg\":" + q(arg) + ",\"ok\":" + r.get(0) + ",\"status\":" + r.get(1)
          + ",\"detail\":" + q(String.valueOf(r.get(2))) + "}");
    }
  }

  private static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  private static List<Object> get(HttpClient c, String url, String token) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (token != null) req.header("Authorization", "Bearer " + token);
    HttpResponse<String> r = c.send(req.build(), HttpResponse.BodyHandlers.ofString());
    String body = r.body();
    // a Kubernetes list: its kind and item names (a whole list would not fit one log line)
    Matcher list = Pattern.compile("^\\{\"kind\":\"(\\w+List)\"").matcher(body);
    if (list.find()) {
      List<String> names = new ArrayList<>();
      Matcher m = Pattern.compile("\"metadata\":\\{\"name\":\"([^\"]+)\"").matcher(body);
      while (m.find()) names.add(m.group(1));
      body = list.group(1) + " " + String.join(",", names);
    }
    if (body.length() > 3000) body = body.substring(0, 3000);
    return List.of(r.statusCode() / 100 == 2, r.statusCode(), body);
  }

  private static List<Object> resolve(String name) {
    try {
      List<String> out = new ArrayList<>();
      for (InetAddress a : InetAddress.getAllByName(name)) out.add(a.getHostAddress());
      return List.of(true, 0, String.join(",", out));
    } catch (Exception e) {
      return List.of(false, 0, e.toString());
    }
  }

  private static List<Object> k8sGet(String hostPort, String path) throws Exception {
    String token = Files.readString(SA.resolve("token")).trim();
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    int i = 0;
    for (var cert : cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(SA.resolve("ca.crt"))))) {
      ks.setCertificateEntry("ca" + i++, (X509Certificate) cert);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    HttpClient c = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
    return get(c, "https://" + hostPort + path, token);
  }
}
