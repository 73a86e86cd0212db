package skywalkingbackstage.plugin.jdk.httpserver;

import com.sun.net.httpserver.HttpExchange;
import java.lang.reflect.Method;
import java.net.URI;
import org.apache.skywalking.apm.agent.core.context.CarrierItem;
import org.apache.skywalking.apm.agent.core.context.ContextCarrier;
import org.apache.skywalking.apm.agent.core.context.ContextManager;
import org.apache.skywalking.apm.agent.core.context.tag.Tags;
import org.apache.skywalking.apm.agent.core.context.trace.AbstractSpan;
import org.apache.skywalking.apm.agent.core.context.trace.SpanLayer;
import org.apache.skywalking.apm.agent.core.plugin.interceptor.enhance.EnhancedInstance;
import org.apache.skywalking.apm.agent.core.plugin.interceptor.enhance.InstanceMethodsAroundInterceptor;
import org.apache.skywalking.apm.agent.core.plugin.interceptor.enhance.MethodInterceptResult;
import org.apache.skywalking.apm.network.trace.component.ComponentsDefine;

/**
 * One EntrySpan per request served by com.sun.net.httpserver: the upstream context comes from the
 * request's sw8 headers, the operation is {@code METHOD:/path}, the status code is tagged and a
 * 5xx answer (or an exception out of the handler) marks the span as an error.
 *
 * <p>doFilter re-enters once per filter and once more for the server's own (system) chain, all on
 * the request's thread, so only the outermost call of a thread opens and closes the span.
 */
public class FilterChainDoFilterInterceptor implements InstanceMethodsAroundInterceptor {
    private static final ThreadLocal<int[]> DEPTH = new ThreadLocal<int[]>() {
        @Override
        protected int[] initialValue() {
            return new int[1];
        }
    };
    /** Set on the outermost call when it opened a span, so that only that call stops one. */
    private static final ThreadLocal<AbstractSpan> OPENED = new ThreadLocal<AbstractSpan>();

    @Override
    public void beforeMethod(EnhancedInstance objInst, Method method, Object[] allArguments,
                             Class<?>[] argumentsTypes, MethodInterceptResult result) {
        if (DEPTH.get()[0]++ != 0) {
            return;
        }
        HttpExchange exchange = (HttpExchange) allArguments[0];
        ContextCarrier carrier = new ContextCarrier();
        CarrierItem next = carrier.items();
        while (next.hasNext()) {
            next = next.next();
            next.setHeadValue(exchange.getRequestHeaders().getFirst(next.getHeadKey()));
        }
        URI uri = exchange.getRequestURI();
        String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
        AbstractSpan span = ContextManager.createEntrySpan(exchange.getRequestMethod() + ":" + path, carrier);
        Tags.URL.set(span, requestUrl(exchange, uri));
        Tags.HTTP.METHOD.set(span, exchange.getRequestMethod());
        span.setComponent(ComponentsDefine.JDK_HTTP);
        SpanLayer.asHttp(span);
        OPENED.set(span);
    }

    @Override
    public Object afterMethod(EnhancedInstance objInst, Method method, Object[] allArguments,
                              Class<?>[] argumentsTypes, Object ret) {
        if (--DEPTH.get()[0] != 0) {
            return ret;
        }
        AbstractSpan span = OPENED.get();
        OPENED.remove();
        if (span == null || !ContextManager.isActive()) {
            return ret;
        }
        int status = ((HttpExchange) allArguments[0]).getResponseCode();
        if (status > 0) {
            Tags.HTTP_RESPONSE_STATUS_CODE.set(span, status);
            if (status >= 500) {
                span.errorOccurred();
            }
        }
        ContextManager.stopSpan(span);
        return ret;
    }

    @Override
    public void handleMethodException(EnhancedInstance objInst, Method method, Object[] allArguments,
                                      Class<?>[] argumentsTypes, Throwable t) {
        AbstractSpan span = OPENED.get();
        if (DEPTH.get()[0] == 1 && span != null) {
            span.errorOccurred();
            span.log(t);
        }
    }

    private static String requestUrl(HttpExchange exchange, URI uri) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host == null) {
            host = exchange.getLocalAddress().getHostString() + ":" + exchange.getLocalAddress().getPort();
        }
        return "http://" + host + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }
}
