package dev.thaw.gateway.wiring;

import dev.thaw.gateway.AdminToken;
import dev.thaw.gateway.ThawConfig;
import dev.thaw.gateway.invoke.AsyncQueue;
import dev.thaw.gateway.invoke.KafkaAsyncQueue;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.events.ConsumerLag;
import dev.thaw.events.KafkaTopics;
import dev.thaw.gateway.scale.InvokerAutoscaler;
import dev.thaw.protocol.AsyncInvocation;
import dev.thaw.protocol.ScalePolicy;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Disposes;
import java.util.Map;
import java.util.Optional;
import dev.thaw.gateway.route.RemoteInvokers;
import dev.thaw.gateway.route.Router;
import dev.thaw.protocol.BearerSecret;
import dev.thaw.protocol.InvokerApi;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.InvocationStore;
import dev.thaw.registry.RedisFunctionRegistry;
import dev.thaw.registry.RedisInvocationStore;
import dev.thaw.registry.RedisInvokerDirectory;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The parts of a cluster gateway: the registry, the records and the invoker membership in
 * Redis, and invokers in other processes reached over HTTP with the cluster secret. Default
 * beans: the embedded platform (its own module) replaces each with a part in its JVM.
 */
@ApplicationScoped
public class ClusterParts {
    @Produces
    @DefaultBean
    @Singleton
    AdminToken adminToken(ThawConfig config) {
        return new AdminToken(BearerSecret.of(config.adminToken().orElseThrow(() -> new IllegalStateException(
                "thaw.admin-token is required for a cluster gateway")), "thaw.admin-token"));
    }

    @Produces
    @DefaultBean
    @Singleton
    FunctionRegistry registry(ThawConfig config) {
        return new RedisFunctionRegistry(redisUri(config));
    }

    @Produces
    @DefaultBean
    @Singleton
    InvocationStore store(ThawConfig config) {
        return new RedisInvocationStore(redisUri(config), config.invocations().retention());
    }

    @Produces
    @DefaultBean
    @Singleton
    Invokers invokers(ThawConfig config) {
        return new RemoteInvokers(new RedisInvokerDirectory(redisUri(config)), new Router(config.routing().loadFactor()),
                clusterSecret(config), config.routing().refresh());
    }

    /** Kafka when configured; without it, async invocations are refused rather than kept where a crash loses them. */
    @Produces
    @DefaultBean
    @Singleton
    AsyncQueue asyncQueue(ThawConfig config) {
        return config.kafka().bootstrap().<AsyncQueue>map(b -> {
            KafkaTopics.ensure(b, config.kafka().partitions());
            return new KafkaAsyncQueue(b);
        }).orElse(AsyncQueue.NONE);
    }

    /**
     * The autoscaler of a cluster gateway (none when the invokers are in this JVM): it reads
     * the invokers' heartbeats and the async invocations' Kafka lag, and exports
     * thaw_desired_invokers for KEDA.
     */
    @Produces
    @Singleton
    Optional<InvokerAutoscaler> autoscaler(ThawConfig config, Invokers invokers, MeterRegistry meters) {
        ThawConfig.Autoscaler a = config.autoscaler();
        if (!a.enabled() || !(invokers instanceof RemoteInvokers remote)) {
            return Optional.empty();
        }
        ConsumerLag lag = config.kafka().bootstrap().map(ConsumerLag::new).orElse(null);
        ScalePolicy.Settings policy = new ScalePolicy.Settings(a.stableWindow(), a.panicWindow(), 1, 2.0,
                a.scaleDownDelay(), a.stableWindow(), a.minInvokers(), a.maxInvokers());
        InvokerAutoscaler autoscaler = new InvokerAutoscaler(new InvokerAutoscaler.Settings(policy, a.lagPerInvoker(),
                a.runnersPerInvoker(), a.tick()), remote::members,
                () -> lag == null ? Map.of() : Map.of("async",
                        lag.of(AsyncInvocation.CONSUMER_GROUP, AsyncInvocation.TOPIC).values().stream().mapToLong(Long::longValue).sum()),
                meters);
        return Optional.of(autoscaler.start());
    }

    void closeAutoscaler(@Disposes Optional<InvokerAutoscaler> autoscaler) {
        autoscaler.ifPresent(InvokerAutoscaler::close);
    }

    private static String redisUri(ThawConfig config) {
        return config.redisUri().orElseThrow(() -> new IllegalStateException(
                "thaw.redis-uri is required for a cluster gateway"));
    }

    private static BearerSecret clusterSecret(ThawConfig config) {
        if (config.clusterSecretFile().isPresent()) {
            try {
                return BearerSecret.read(Path.of(config.clusterSecretFile().get()), "thaw.cluster-secret-file");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read thaw.cluster-secret-file", e);
            }
        }
        return BearerSecret.of(config.clusterSecret().orElseThrow(() -> new IllegalStateException(
                "a cluster gateway needs the invokers' secret: thaw.cluster-secret, thaw.cluster-secret-file or $"
                        + InvokerApi.SECRET_ENV)), "thaw.cluster-secret");
    }
}
