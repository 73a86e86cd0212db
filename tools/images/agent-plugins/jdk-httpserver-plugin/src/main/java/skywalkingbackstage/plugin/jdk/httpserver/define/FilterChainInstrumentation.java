package skywalkingbackstage.plugin.jdk.httpserver.define;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;
import static org.apache.skywalking.apm.agent.core.plugin.match.NameMatch.byName;

import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.skywalking.apm.agent.core.plugin.interceptor.ConstructorInterceptPoint;
import org.apache.skywalking.apm.agent.core.plugin.interceptor.InstanceMethodsInterceptPoint;
import org.apache.skywalking.apm.agent.core.plugin.interceptor.enhance.ClassInstanceMethodsEnhancePluginDefine;
import org.apache.skywalking.apm.agent.core.plugin.match.ClassMatch;

/**
 * Intercepts {@code com.sun.net.httpserver.Filter.Chain#doFilter(HttpExchange)}: the server runs
 * every request through it (user filters, then the context's handler), whatever the handler is.
 * Handlers are often lambdas, which the agent cannot enhance, so the chain is the stable hook.
 * The class lives in the jdk.httpserver module, loaded by the bootstrap class loader.
 */
public class FilterChainInstrumentation extends ClassInstanceMethodsEnhancePluginDefine {
    private static final String ENHANCE_CLASS = "com.sun.net.httpserver.Filter$Chain";
    private static final String INTERCEPTOR =
        "skywalkingbackstage.plugin.jdk.httpserver.FilterChainDoFilterInterceptor";

    @Override
    public boolean isBootstrapInstrumentation() {
        return true;
    }

    @Override
    protected ClassMatch enhanceClass() {
        return byName(ENHANCE_CLASS);
    }

    @Override
    public ConstructorInterceptPoint[] getConstructorsInterceptPoints() {
        return new ConstructorInterceptPoint[0];
    }

    @Override
    public InstanceMethodsInterceptPoint[] getInstanceMethodsInterceptPoints() {
        return new InstanceMethodsInterceptPoint[] {
            new InstanceMethodsInterceptPoint() {
                @Override
                public ElementMatcher<MethodDescription> getMethodsMatcher() {
                    return named("doFilter")
                        .and(takesArguments(1))
                        .and(takesArgument(0, named("com.sun.net.httpserver.HttpExchange")));
                }

                @Override
                public String getMethodsInterceptor() {
                    return INTERCEPTOR;
                }

                @Override
                public boolean isOverrideArgs() {
                    return false;
                }
            }
        };
    }
}
