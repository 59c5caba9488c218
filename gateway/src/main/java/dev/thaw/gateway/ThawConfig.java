package dev.thaw.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** The gateway's configuration ({@code thaw.*} in application.properties, -D or THAW_* environment). */
@ConfigMapping(prefix = "thaw")
public interface ThawConfig {
    /** Where the gateway, invoker and state live. */
    enum Mode {
        /** One JVM: gateway, invoker and snapshotter; state in a local directory. */
        EMBEDDED,
        /** Stateless gateway: registry, membership and records in Redis; invokers are other processes. */
        CLUSTER
    }

    @WithDefault("embedded")
    Mode mode();

    /** Embedded mode: registry, snapshots and the generated admin token. */
    @WithDefault("${user.home}/.thaw/state")
    String stateDir();

    /** The admin token; embedded mode generates one at first start when unset. */
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

    /** Embedded mode: runner threads (default: one per CPU). */
    OptionalInt runners();

    Invocations invocations();

    Routing routing();

    /** Invocation records and the async queue. */
    interface Invocations {
        /** How long records (async results, logs) are kept. */
        @WithDefault("PT1H")
        Duration retention();

        /** Threads running queued (async) invocations. */
        @WithDefault("4")
        int asyncWorkers();

        /** Async invocations waiting at most; beyond, 503. */
        @WithDefault("10000")
        int asyncQueue();
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
