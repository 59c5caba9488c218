package dev.thaw.embedded;

import dev.thaw.gateway.AdminToken;
import dev.thaw.gateway.ThawConfig;
import dev.thaw.events.KafkaTopics;
import dev.thaw.gateway.invoke.AsyncQueue;
import dev.thaw.gateway.invoke.KafkaAsyncQueue;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.invoker.service.AsyncRunner;
import dev.thaw.invoker.service.AsyncWork;
import dev.thaw.protocol.AsyncInvocation;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.service.FunctionHost;
import dev.thaw.invoker.service.PoolMetrics;
import dev.thaw.invoker.service.ShellMemoryBudget;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import dev.thaw.protocol.BearerSecret;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.InvocationStore;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.registry.MemoryInvocationStore;
import dev.thaw.registry.LocalTriggerRegistry;
import dev.thaw.registry.MemoryTriggerStatuses;
import dev.thaw.registry.TriggerRegistry;
import dev.thaw.registry.TriggerStatuses;
import dev.thaw.invoker.service.TriggerHost;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import dev.thaw.snapshotter.SnapshotStore;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The one place that puts a gateway and an invoker service into one JVM (what {@code ./fn up}
 * runs): functions in a local directory, records in memory, an engine in this process, and an
 * admin token generated into the state directory at first start. These beans replace the
 * gateway's cluster parts.
 */
@ApplicationScoped
public class EmbeddedParts {
    @Produces
    @Singleton
    AdminToken adminToken(ThawConfig config, EmbeddedConfig embedded) {
        try {
            return new AdminToken(config.adminToken().isPresent()
                    ? BearerSecret.of(config.adminToken().get(), "thaw.admin-token")
                    : BearerSecret.loadOrCreate(state(embedded).resolve("admin-token"), "thaw_", "the admin token"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the admin token in " + state(embedded), e);
        }
    }

    @Produces
    @Singleton
    FunctionRegistry registry(EmbeddedConfig embedded) {
        return new LocalFunctionRegistry(state(embedded).resolve("registry"));
    }

    @Produces
    @Singleton
    InvocationStore store(ThawConfig config) {
        return new MemoryInvocationStore(config.invocations().retention());
    }

    @Produces
    @Singleton
    FunctionHost host(EmbeddedConfig embedded, FunctionRegistry registry) {
        Path state = state(embedded);
        long budget = ShellMemoryBudget.parse(embedded.shellMemoryBudget());
        Engine engine = embedded.runners().isPresent() ? Engine.start(embedded.runners().getAsInt()) : Engine.start();
        engine.shellMemoryBudget(budget);
        try {
            return new FunctionHost(engine, new SnapshotStore(state.resolve("snapshots")), registry, state.resolve("work"));
        } catch (IOException e) {
            engine.close();
            throw new UncheckedIOException("cannot prepare " + state, e);
        }
    }

    @Produces
    @Singleton
    Invokers invokers(FunctionHost host) {
        return new LocalInvokers(host);
    }

    /**
     * With Kafka ({@code thaw.kafka.bootstrap}, e.g. from {@code ./fn up --kafka}): invocations
     * are stored there and this JVM consumes them as an invoker would. Without: a journal in
     * the state directory, so that a crash loses no accepted invocation either.
     */
    @Produces
    @Singleton
    AsyncQueue asyncQueue(ThawConfig config, EmbeddedConfig embedded, FunctionHost host, FunctionRegistry registry,
                          InvocationStore store) {
        if (config.kafka().bootstrap().isPresent()) {
            String bootstrap = config.kafka().bootstrap().get();
            KafkaTopics.ensure(bootstrap, config.kafka().partitions());
            KafkaAsyncQueue queue = new KafkaAsyncQueue(bootstrap);
            AsyncWork work = AsyncWork.start(bootstrap, config.kafka().partitions(), "thaw-embedded", host, registry, store);
            return new AsyncQueue() {
                @Override
                public void accept(AsyncInvocation invocation) {
                    queue.accept(invocation);
                }

                @Override
                public void close() {
                    work.close();
                    queue.close();
                }
            };
        }
        try {
            return new LocalJournalQueue(state(embedded).resolve("async"),
                    deadLetters -> new AsyncRunner(host, registry, store, deadLetters), store);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the async journal in " + state(embedded), e);
        }
    }

    /** Triggers in the state directory, kept across restarts. */
    @Produces
    @Singleton
    TriggerRegistry triggers(EmbeddedConfig embedded) {
        return new LocalTriggerRegistry(state(embedded).resolve("triggers"));
    }

    /** The consumers here report to the gateway here: memory is enough. */
    @Produces
    @Singleton
    TriggerStatuses triggerStatuses() {
        return new MemoryTriggerStatuses();
    }

    /**
     * This JVM runs every trigger as the one invoker of each trigger's group: a consumer per
     * trigger, batches on the engine here. Triggers without a bootstrap of their own use
     * {@code thaw.kafka.bootstrap}.
     */
    @Produces
    @Singleton
    TriggerHost triggerHost(ThawConfig config, TriggerRegistry triggers, TriggerStatuses statuses, FunctionHost host,
                            FunctionRegistry registry) {
        return new TriggerHost("embedded", config.kafka().bootstrap().orElse(null), triggers, statuses, host, registry)
                .start();
    }

    /** Stopped before the engine and the registries it uses (the gateway's own shutdown observer closes those). */
    void stopTriggers(@Observes @Priority(1) ShutdownEvent event, TriggerHost triggerHost) {
        triggerHost.close();
    }

    private static Path state(EmbeddedConfig embedded) {
        return Path.of(embedded.stateDir());
    }

    /** This JVM's pools beside the gateway's metrics at /q/metrics, read at scrape time. */
    void poolMetrics(@Observes StartupEvent event, FunctionHost host, PrometheusMeterRegistry prometheus) {
        prometheus.getPrometheusRegistry().register(new PoolMetrics(host));
    }

    /** Starts the engine with the platform, and prints how to reach it. */
    void banner(@Observes StartupEvent event, Invokers invokers, AsyncQueue async, TriggerHost triggers, AdminToken token,
                EmbeddedConfig embedded,
                @ConfigProperty(name = "quarkus.http.host") String host, @ConfigProperty(name = "quarkus.http.port") int port) {
        String url = "http://" + host + ":" + port;
        System.out.println();
        System.out.println("Thaw is up: gateway, invoker and snapshotter in one JVM (state in " + embedded.stateDir() + ")");
        System.out.println("  URL    " + url);
        System.out.println("  token  " + token.value());
        System.out.println("  try    ./fn deploy functions/hello && ./fn invoke hello -d Thaw");
        System.out.println("         curl -H 'Authorization: Bearer " + token.value() + "' -d Thaw " + url + "/fn/hello");
        System.out.println();
    }
}
