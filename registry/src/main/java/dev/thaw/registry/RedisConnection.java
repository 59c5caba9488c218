package dev.thaw.registry;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The one Lettuce connection a Redis-backed store shares between its threads (Lettuce
 * connections are thread-safe), with String keys and byte[] values so bundles and JSON pass
 * through unchanged. Closes the client too if it created it. Turns Redis failures into
 * {@link RegistryException}s that name the operation.
 */
final class RedisConnection implements AutoCloseable {
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final RedisClient client;
    private final boolean ownsClient;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RedisConnection(RedisClient client, boolean ownsClient) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.connection = call("connect to Redis", () -> client.connect(CODEC));
    }

    /** Connects through {@code client}, which stays open on {@link #close()}. */
    static RedisConnection over(RedisClient client) {
        return new RedisConnection(client, false);
    }

    /**
     * How long a command may take unless the URI says otherwise ({@code ?timeout=5s}): callers
     * answer 503 after this instead of hanging for Lettuce's default of 60 s when Redis is
     * stopped or slow.
     */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Connects to {@code uri} (e.g. redis://127.0.0.1:6379) with a client of its own that
     * fails fast: commands time out after {@link #DEFAULT_TIMEOUT} (or the URI's timeout), and
     * while the connection is down they fail at once instead of queueing; it reconnects by itself.
     */
    static RedisConnection to(String uri) {
        RedisURI parsed = RedisURI.create(uri);
        if (!uri.contains("timeout=")) {
            parsed.setTimeout(DEFAULT_TIMEOUT);
        }
        RedisClient client = RedisClient.create(parsed);
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled())
                .socketOptions(SocketOptions.builder().connectTimeout(parsed.getTimeout()).build())
                .build());
        try {
            return new RedisConnection(client, true);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    RedisCommands<String, byte[]> sync() {
        return connection.sync();
    }

    RedisAsyncCommands<String, byte[]> async() {
        return connection.async();
    }

    /** Waits for a pipelined command as long as a synchronous one would wait. */
    <T> T await(RedisFuture<T> future) {
        return LettuceFutures.awaitOrCancel(future, connection.getTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A new connection for SUBSCRIBE, which takes a connection over; the caller closes it. */
    StatefulRedisPubSubConnection<String, byte[]> connectPubSub() {
        return call("connect to Redis for pub/sub", () -> client.connectPubSub(CODEC));
    }

    /** Runs {@code commands}; a Redis failure becomes a RegistryException naming {@code operation}. */
    static <T> T call(String operation, Supplier<T> commands) {
        try {
            return commands.get();
        } catch (RedisException e) {
            throw new RegistryException(operation + " failed: " + e.getMessage(), e);
        }
    }

    static void run(String operation, Runnable commands) {
        call(operation, () -> {
            commands.run();
            return null;
        });
    }

    /** Closing again does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        connection.close();
        if (ownsClient) {
            client.shutdown();
        }
    }
}
