package dev.thaw.gateway;

import dev.thaw.gateway.invoke.FunctionCatalog;
import dev.thaw.gateway.invoke.InProcessQueue;
import dev.thaw.gateway.invoke.InvocationService;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.gateway.route.LocalInvokers;
import dev.thaw.gateway.route.RemoteInvokers;
import dev.thaw.gateway.route.Router;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.service.FunctionHost;
import dev.thaw.protocol.BearerSecret;
import dev.thaw.protocol.InvokerApi;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.InvocationStore;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.registry.MemoryInvocationStore;
import dev.thaw.registry.RedisFunctionRegistry;
import dev.thaw.registry.RedisInvocationStore;
import dev.thaw.registry.RedisInvokerDirectory;
import dev.thaw.snapshotter.SnapshotStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The gateway's parts, wired by mode. Embedded: an engine, a local-directory registry and
 * in-memory records in this JVM. Cluster: Redis for registry, membership and records, and
 * invokers in other processes.
 */
@ApplicationScoped
public class Platform {
    @Inject
    ThawConfig config;

    @Inject
    MeterRegistry meters;

    @ConfigProperty(name = "quarkus.http.host")
    String host;

    @ConfigProperty(name = "quarkus.http.port")
    int port;

    private BearerSecret token;
    private FunctionRegistry registry;
    private InvocationStore store;
    private Invokers invokers;
    private FunctionCatalog catalog;
    private InvocationService invocations;
    private InProcessQueue queue;
    private GatewayMetrics metrics;
    private final ExecutorService blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("thaw-io-", 0).factory());

    void start(@Observes StartupEvent event) throws IOException {
        metrics = new GatewayMetrics(meters);
        if (config.mode() == ThawConfig.Mode.EMBEDDED) {
            Path state = Path.of(config.stateDir());
            token = config.adminToken().isPresent() ? BearerSecret.of(config.adminToken().get(), "thaw.admin-token")
                    : BearerSecret.loadOrCreate(state.resolve("admin-token"), "thaw_", "the admin token");
            registry = new LocalFunctionRegistry(state.resolve("registry"));
            store = new MemoryInvocationStore(config.invocations().retention());
            Engine engine = config.runners().isPresent() ? Engine.start(config.runners().getAsInt()) : Engine.start();
            invokers = new LocalInvokers(new FunctionHost(engine, new SnapshotStore(state.resolve("snapshots")), registry,
                    state.resolve("work")));
        } else {
            String redis = config.redisUri().orElseThrow(() -> new IllegalStateException(
                    "thaw.redis-uri is required in cluster mode"));
            token = BearerSecret.of(config.adminToken().orElseThrow(() -> new IllegalStateException(
                    "thaw.admin-token is required in cluster mode")), "thaw.admin-token");
            BearerSecret clusterSecret = clusterSecret();
            registry = new RedisFunctionRegistry(redis);
            store = new RedisInvocationStore(redis, config.invocations().retention());
            invokers = new RemoteInvokers(new RedisInvokerDirectory(redis), new Router(config.routing().loadFactor()),
                    clusterSecret, config.routing().refresh());
        }
        catalog = new FunctionCatalog(registry);
        queue = new InProcessQueue(config.invocations().asyncWorkers(), config.invocations().asyncQueue());
        invocations = new InvocationService(catalog, invokers, store, queue, metrics, blocking);
        if (config.mode() == ThawConfig.Mode.EMBEDDED) {
            banner();
        }
    }

    private BearerSecret clusterSecret() throws IOException {
        if (config.clusterSecretFile().isPresent()) {
            return BearerSecret.read(Path.of(config.clusterSecretFile().get()), "thaw.cluster-secret-file");
        }
        return BearerSecret.of(config.clusterSecret().orElseThrow(() -> new IllegalStateException(
                "cluster mode needs the invokers' secret: thaw.cluster-secret, thaw.cluster-secret-file or $"
                        + InvokerApi.SECRET_ENV)), "thaw.cluster-secret");
    }

    private void banner() {
        String url = "http://" + host + ":" + port;
        System.out.println();
        System.out.println("Thaw is up: gateway, invoker and snapshotter in one JVM (state in " + config.stateDir() + ")");
        System.out.println("  URL    " + url);
        System.out.println("  token  " + token.value());
        System.out.println("  try    ./fn deploy functions/hello && ./fn invoke hello -d Thaw");
        System.out.println("         curl -H 'Authorization: Bearer " + token.value() + "' -d Thaw " + url + "/fn/hello");
        System.out.println();
    }

    void stop(@Observes ShutdownEvent event) {
        if (queue != null) {
            queue.close();
        }
        if (invocations != null) {
            invocations.close();
        }
        if (invokers != null) {
            invokers.close();
        }
        if (store != null) {
            store.close();
        }
        if (registry != null) {
            registry.close();
        }
        blocking.shutdownNow();
    }

    public BearerSecret token() {
        return token;
    }

    public FunctionRegistry registry() {
        return registry;
    }

    public InvocationStore store() {
        return store;
    }

    public Invokers invokers() {
        return invokers;
    }

    public FunctionCatalog catalog() {
        return catalog;
    }

    public InvocationService invocations() {
        return invocations;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public ThawConfig config() {
        return config;
    }

    public ExecutorService blocking() {
        return blocking;
    }
}
