package dev.thaw.registry;

import dev.thaw.protocol.FunctionName;
import dev.thaw.protocol.Sha256;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * A {@link FunctionRegistry} in Redis, shared by every process connected to the same server.
 * Keys:
 * <ul>
 *   <li>{@code thaw:functions}: set of the function names</li>
 *   <li>{@code thaw:fn:<name>:last-version}: counter that numbers the versions (INCR); it
 *       survives a delete, so a number never names other code</li>
 *   <li>{@code thaw:fn:<name>:versions}: sorted set of the version numbers (score = version)</li>
 *   <li>{@code thaw:fn:<name>:v<n>}: hash of version n: manifest, sha256, size, deployed_at</li>
 *   <li>{@code thaw:fn:<name>:v<n>:bundle}: the bundle's bytes</li>
 * </ul>
 * Deploy and delete each run as one Lua script, so Redis applies all of their writes at once:
 * readers never see a version without its bundle or a half-deleted function, and a deploy
 * racing a delete cannot leave keys behind. (MULTI/EXEC would not do: on a connection shared
 * by threads, other threads' commands would land inside the transaction.)
 */
public final class RedisFunctionRegistry implements FunctionRegistry {
    private static final String NAMES = "thaw:functions";

    private static final LuaScript DEPLOY = new LuaScript("""
            -- KEYS: the function's version counter, its versions, the set of names
            -- ARGV: prefix of its version keys, name, bundle, manifest, sha256, size, deployed_at
            local version = redis.call('INCR', KEYS[1])
            local key = ARGV[1] .. version
            redis.call('SET', key .. ':bundle', ARGV[3])
            redis.call('HSET', key, 'manifest', ARGV[4], 'sha256', ARGV[5], 'size', ARGV[6], 'deployed_at', ARGV[7])
            redis.call('ZADD', KEYS[2], version, version)
            redis.call('SADD', KEYS[3], ARGV[2])
            return version
            """);

    private static final LuaScript DELETE = new LuaScript("""
            -- KEYS: the function's version counter, its versions, the set of names
            -- ARGV: prefix of its version keys, name
            for _, version in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
                redis.call('UNLINK', ARGV[1] .. version, ARGV[1] .. version .. ':bundle')
            end
            -- the counter stays: version numbers are never reused (caches take name@n as immutable)
            redis.call('UNLINK', KEYS[2])
            return redis.call('SREM', KEYS[3], ARGV[2])
            """);

    private final RedisConnection redis;

    /** Uses {@code client}, which the caller keeps and closes. */
    public RedisFunctionRegistry(RedisClient client) {
        this.redis = RedisConnection.over(client);
    }

    /** Connects to {@code redisUri} (e.g. redis://127.0.0.1:6379) with a client closed by {@link #close()}. */
    public RedisFunctionRegistry(String redisUri) {
        this.redis = RedisConnection.to(redisUri);
    }

    @Override
    public FunctionVersion deploy(String name, String manifestJson, byte[] bundle) {
        FunctionName.require(name);
        Objects.requireNonNull(manifestJson, "manifestJson");
        Objects.requireNonNull(bundle, "bundle");
        String sha256 = Sha256.hex(bundle);
        Instant deployedAt = Instant.now();
        long version = RedisConnection.call("deploy " + name, () -> DEPLOY.run(redis.sync(), ScriptOutputType.INTEGER,
                new String[] {counterKey(name), versionsKey(name), NAMES},
                bytes(versionKeyPrefix(name)), bytes(name), bundle, bytes(manifestJson), bytes(sha256),
                bytes(Long.toString(bundle.length)), bytes(deployedAt.toString())));
        return new FunctionVersion(name, Math.toIntExact(version), manifestJson, sha256, bundle.length, deployedAt);
    }

    @Override
    public Optional<FunctionVersion> latest(String name) {
        FunctionName.require(name);
        List<byte[]> newest = RedisConnection.call("find the latest version of " + name,
                () -> redis.sync().zrange(versionsKey(name), -1, -1));
        return newest.isEmpty() ? Optional.empty() : version(name, parseVersion(newest.getFirst()));
    }

    @Override
    public Optional<FunctionVersion> version(String name, int version) {
        FunctionName.require(name);
        if (version < 1) {
            return Optional.empty();
        }
        Map<String, byte[]> fields = RedisConnection.call("read " + name + " version " + version,
                () -> redis.sync().hgetall(versionKey(name, version)));
        return fields.isEmpty() ? Optional.empty() : Optional.of(toVersion(name, version, fields));
    }

    @Override
    public List<FunctionVersion> versions(String name) {
        FunctionName.require(name);
        return RedisConnection.call("list the versions of " + name, () -> {
            List<Integer> numbers = redis.sync().zrange(versionsKey(name), 0, -1).stream()
                    .map(RedisFunctionRegistry::parseVersion).toList();
            // One round trip for all the hashes rather than one per version.
            List<RedisFuture<Map<String, byte[]>>> hashes = numbers.stream()
                    .map(number -> redis.async().hgetall(versionKey(name, number))).toList();
            List<FunctionVersion> versions = new ArrayList<>();
            for (int i = 0; i < numbers.size(); i++) {
                Map<String, byte[]> fields = redis.await(hashes.get(i));
                if (!fields.isEmpty()) { // empty if deleted meanwhile
                    versions.add(toVersion(name, numbers.get(i), fields));
                }
            }
            return versions;
        });
    }

    @Override
    public List<String> names() {
        return RedisConnection.call("list functions", () -> redis.sync().smembers(NAMES)).stream()
                .map(name -> new String(name, UTF_8)).sorted().toList();
    }

    @Override
    public Optional<byte[]> bundle(String name, int version) {
        FunctionName.require(name);
        if (version < 1) {
            return Optional.empty();
        }
        return Optional.ofNullable(RedisConnection.call("read the bundle of " + name + " version " + version,
                () -> redis.sync().get(versionKey(name, version) + ":bundle")));
    }

    @Override
    public boolean delete(String name) {
        FunctionName.require(name);
        long removed = RedisConnection.call("delete " + name, () -> DELETE.run(redis.sync(), ScriptOutputType.INTEGER,
                new String[] {counterKey(name), versionsKey(name), NAMES}, bytes(versionKeyPrefix(name)), bytes(name)));
        return removed == 1;
    }

    @Override
    public void close() {
        redis.close();
    }

    private static FunctionVersion toVersion(String name, int version, Map<String, byte[]> fields) {
        return new FunctionVersion(name, version, new String(fields.get("manifest"), UTF_8),
                new String(fields.get("sha256"), UTF_8), Long.parseLong(new String(fields.get("size"), UTF_8)),
                Instant.parse(new String(fields.get("deployed_at"), UTF_8)));
    }

    private static int parseVersion(byte[] member) {
        return Integer.parseInt(new String(member, UTF_8));
    }

    private static String counterKey(String name) {
        return "thaw:fn:" + name + ":last-version";
    }

    private static String versionsKey(String name) {
        return "thaw:fn:" + name + ":versions";
    }

    private static String versionKeyPrefix(String name) {
        return "thaw:fn:" + name + ":v";
    }

    private static String versionKey(String name, int version) {
        return versionKeyPrefix(name) + version;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
