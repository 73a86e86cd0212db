package shop;

import java.util.concurrent.atomic.AtomicLong;

/** Takes payments: GET /pay answers with a payment id. */
public final class Payments {
  public static void main(String[] args) throws Exception {
    Service service = new Service("payments");
    AtomicLong ids = new AtomicLong();
    service.route("/pay", ex -> new Service.Reply(200,
        "{\"service\":\"payments\",\"paid\":true,\"payment\":" + ids.incrementAndGet() + "}"));
    service.start();
  }
}
