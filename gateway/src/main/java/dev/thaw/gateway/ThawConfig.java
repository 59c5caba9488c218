package dev.thaw.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * The gateway's configuration ({@code thaw.*} in application.properties, -D or THAW_*
 * environment). The embedded platform adds its own settings (state directory, runners).
 */
@ConfigMapping(prefix = "thaw")
public interface ThawConfig {
    /** The admin token; the embedded platform generates one at first start when unset. */
    Optional<String> adminToken();

    /** Cluster mode: redis://host:port. */
    Optional<String> redisUri();

    /**
     * Cluster mode: the secret this gateway presents to invokers (they refuse calls without
     * it). Also read from $THAW_CLUSTER_SECRET; or give a file with {@link #clusterSecretFile()}.
     */
    Optional<String> clusterSecret();

    /** Cluster mode: a file holding the cluster secret. */
    Optional<String> clusterSecretFile();

    /** Largest invocation request body. */
    @WithDefault("6291456")
    long maxBodyBytes();

    /** Largest deployable bundle. */
    @WithDefault("33554432")
    long maxBundleBytes();

    /** Serve {@code POST /v1/echo} (the HTTP benchmark's no-VM ceiling); off unless the benchmark asks. */
    @WithDefault("false")
    boolean benchEcho();

    Invocations invocations();

    Routing routing();

    /** Kafka: where async invocations are stored until they run. */
    Kafka kafka();

    /** Kafka, for durable async invocations (and triggers). */
    interface Kafka {
        /** host:port of a broker; unset: no Kafka (the embedded platform keeps a local journal instead). */
        Optional<String> bootstrap();

        /** Partitions of the async invocations topic when Thaw creates it: how many invokers can share the work. */
        @WithDefault("6")
        int partitions();
    }

    /** The cluster autoscaler: how many invokers the queue calls for ({@code thaw_desired_invokers}). */
    Autoscaler autoscaler();

    interface Autoscaler {
        @WithDefault("true")
        boolean enabled();

        @WithDefault("1")
        int minInvokers();

        @WithDefault("100")
        int maxInvokers();

        /** Kafka events one invoker is expected to work off (KEDA's lagThreshold). */
        @WithDefault("1000")
        long lagPerInvoker();

        /** Runners an invoker has when no heartbeat says (an empty cluster). */
        @WithDefault("2")
        int runnersPerInvoker();

        @WithDefault("PT60S")
        Duration stableWindow();

        @WithDefault("PT6S")
        Duration panicWindow();

        /** How long a lower desire must last before it is exported. */
        @WithDefault("PT5M")
        Duration scaleDownDelay();

        @WithDefault("PT2S")
        Duration tick();
    }

    /** Invocation records. */
    interface Invocations {
        /** How long records (async results, logs) are kept. */
        @WithDefault("PT1H")
        Duration retention();

    }

    /** Cluster mode: choosing an invoker. */
    interface Routing {
        /** Bounded load: an invoker takes a function's request only below this factor times the average load. */
        @WithDefault("1.25")
        double loadFactor();

        /** How often the gateway re-reads the invoker list. */
        @WithDefault("PT0.5S")
        Duration refresh();
    }
}
