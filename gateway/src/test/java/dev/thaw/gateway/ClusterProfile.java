package dev.thaw.gateway;

import dev.thaw.registry.RedisServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * The gateway in cluster mode over a real redis-server and no invoker at all: what the API
 * checks that need no VM run against, on any machine, with or without /dev/kvm.
 */
public final class ClusterProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        // Small body caps, so that testing them does not mean uploading tens of MiB.
        return Map.of("thaw.cluster-secret", "cluster-secret-for-tests", "thaw.max-body-bytes", "4096",
                "thaw.max-bundle-bytes", "8192");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(Redis.class));
    }

    /** A redis-server for the profile's lifetime (the JUnit extension's callbacks do not use their context). */
    public static final class Redis implements QuarkusTestResourceLifecycleManager {
        private final RedisServer server = new RedisServer();

        @Override
        public Map<String, String> start() {
            try {
                server.beforeAll(null);
            } catch (Exception e) {
                throw new IllegalStateException("cannot start redis-server", e);
            }
            return Map.of("thaw.redis-uri", server.uri());
        }

        @Override
        public void stop() {
            try {
                server.afterAll(null);
            } catch (Exception e) {
                throw new IllegalStateException("cannot stop redis-server", e);
            }
        }
    }
}
