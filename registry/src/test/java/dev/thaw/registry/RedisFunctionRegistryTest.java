package dev.thaw.registry;

import io.lettuce.core.RedisClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedisFunctionRegistryTest extends FunctionRegistryContract {
    @RegisterExtension
    static final RedisServer redis = new RedisServer();

    @Override
    FunctionRegistry newInstance() {
        return new RedisFunctionRegistry(redis.uri());
    }

    @Test
    void deleteLeavesOnlyTheVersionCounterBehind() throws Exception {
        registry.deploy("hello", manifest("hello", 1), bytes("h1"));
        registry.deploy("hello", manifest("hello", 2), bytes("h2"));

        registry.delete("hello");

        assertEquals(1, redis.keyCount());
        assertEquals("$1", redis.command("GET", "thaw:fn:hello:last-version"));
    }

    @Test
    void keepsWorkingAfterTheServerForgetsItsScripts() throws Exception {
        registry.deploy("hello", manifest("hello", 1), bytes("h1"));
        assertEquals("+OK", redis.command("SCRIPT", "FLUSH"));

        assertEquals(2, registry.deploy("hello", manifest("hello", 2), bytes("h2")).version());
    }

    @Test
    void sharedClientOutlivesTheRegistry() {
        RedisClient client = RedisClient.create(redis.uri());
        try {
            try (FunctionRegistry first = new RedisFunctionRegistry(client)) {
                first.deploy("hello", manifest("hello", 1), bytes("h1"));
            }
            try (FunctionRegistry second = new RedisFunctionRegistry(client)) {
                assertEquals(List.of("hello"), second.names());
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void redisFailuresNameTheOperation() throws Exception {
        assertEquals("+OK", redis.command("SET", "thaw:functions", "not a set"));
        RegistryException listing = assertThrows(RegistryException.class, () -> registry.names());
        assertTrue(listing.getMessage().startsWith("list functions failed: WRONGTYPE"), listing.getMessage());

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        RegistryException connecting = assertThrows(RegistryException.class,
                () -> new RedisFunctionRegistry("redis://127.0.0.1:" + closedPort));
        assertTrue(connecting.getMessage().startsWith("connect to Redis failed"), connecting.getMessage());
    }
}
