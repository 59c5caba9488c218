package dev.thaw.gateway.wiring;

import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.gateway.ThawConfig;
import dev.thaw.gateway.deploy.DeployService;
import dev.thaw.gateway.invoke.FunctionCatalog;
import dev.thaw.gateway.invoke.AsyncQueue;
import dev.thaw.gateway.invoke.InvocationService;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.gateway.scale.InvokerAutoscaler;
import java.util.Optional;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.InvocationStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The services every gateway has, built on the parts of its mode ({@link ClusterParts}, or
 * the embedded platform's): plain Java objects, produced once, injected where used. Started
 * eagerly, stopped in dependency order.
 */
@ApplicationScoped
public class GatewayParts {
    /** Where resources run what may block (registry look-ups, builds): virtual threads. */
    public static final String BLOCKING = "thaw-blocking";

    @Produces
    @Singleton
    @Named(BLOCKING)
    ExecutorService blocking() {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("thaw-io-", 0).factory());
    }

    @Produces
    @Singleton
    GatewayMetrics metrics(MeterRegistry meters) {
        return new GatewayMetrics(meters);
    }

    @Produces
    @Singleton
    FunctionCatalog catalog(FunctionRegistry registry) {
        return new FunctionCatalog(registry);
    }

    @Produces
    @Singleton
    InvocationService invocations(FunctionCatalog catalog, Invokers invokers, InvocationStore store, AsyncQueue queue,
                                  GatewayMetrics metrics, @Named(BLOCKING) ExecutorService blocking) {
        return new InvocationService(catalog, invokers, store, queue, metrics, blocking);
    }

    @Produces
    @Singleton
    DeployService deploys(FunctionRegistry registry, Invokers invokers, FunctionCatalog catalog, GatewayMetrics metrics) {
        return new DeployService(registry, invokers, catalog, metrics);
    }

    /** Builds everything at start, so that a missing setting fails the start, not the first request. */
    void start(@Observes StartupEvent event, InvocationService invocations, DeployService deploys,
               Optional<InvokerAutoscaler> autoscaler) {
        // injecting them is enough
    }

    /** Stops the services before the parts they use. */
    void stop(@Observes ShutdownEvent event, AsyncQueue queue, InvocationService invocations, Invokers invokers,
              InvocationStore store, FunctionRegistry registry, @Named(BLOCKING) ExecutorService blocking) {
        queue.close();
        invocations.close();
        invokers.close();
        store.close();
        registry.close();
        blocking.shutdownNow();
    }
}
