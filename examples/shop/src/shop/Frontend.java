package shop;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The shop's web front: GET /checkout places an order through orders
 * (ORDERS_URL). It also checks out on its own every TRAFFIC_INTERVAL_MS
 * (default 5000, 0 = never) so the topology has calls without a load generator.
 */
public final class Frontend {
  public static void main(String[] args) throws Exception {
    Service service = new Service("frontend");
    String orders = Service.env("ORDERS_URL", "http://shop-orders");
    service.route("/checkout", ex -> checkout(service, orders));
    service.route("/", ex -> ex.getRequestURI().getPath().equals("/")
        ? checkout(service, orders)
        : Service.json(404, "error", "no such page: " + ex.getRequestURI().getPath()));
    service.start();

    long interval = Long.parseLong(Service.env("TRAFFIC_INTERVAL_MS", "5000"));
    if (interval > 0) {
      ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "traffic");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(() -> {
        try {
          checkout(service, orders);
        } catch (Exception e) {
          // already logged by Service.call; the next tick tries again
        }
      }, interval, interval, TimeUnit.MILLISECONDS);
    }
  }

  private static Service.Reply checkout(Service service, String orders) throws Exception {
    String order = service.call(orders + "/orders");
    return new Service.Reply(200, "{\"service\":\"frontend\",\"orders\":" + order + "}");
  }
}
