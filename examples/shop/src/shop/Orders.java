package shop;

import java.util.concurrent.atomic.AtomicLong;

/** Places orders: GET /orders asks payments (PAYMENTS_URL) to take the payment. */
public final class Orders {
  public static void main(String[] args) throws Exception {
    Service service = new Service("orders");
    String payments = Service.env("PAYMENTS_URL", "http://shop-payments");
    AtomicLong ids = new AtomicLong();
    service.route("/orders", ex -> {
      String paid = service.call(payments + "/pay");
      return new Service.Reply(200,
          "{\"service\":\"orders\",\"order\":" + ids.incrementAndGet() + ",\"payments\":" + paid + "}");
    });
    service.start();
  }
}
