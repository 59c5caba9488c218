package dev.thaw.registry;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@link TriggerStatuses} in Redis, shared by the invokers that report and the gateways that
 * read:
 * <ul>
 *   <li>{@code thaw:trigger:<name>:report:<invoker>}: the invoker's report as JSON
 *       ({@link RecordJson}), expiring after its ttl (on the Redis server's clock)</li>
 *   <li>{@code thaw:trigger:<name>:reporters}: the set of invokers that reported, expiring
 *       with the last report; members whose report expired are removed when read</li>
 * </ul>
 * Each operation is one Lua script.
 */
public final class RedisTriggerStatuses implements TriggerStatuses {
    private static final System.Logger LOG = System.getLogger(RedisTriggerStatuses.class.getName());

    private static final LuaScript REPORT = new LuaScript("""
            -- KEYS: the report, the set of reporters. ARGV: invoker, report JSON, ttl in ms
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            redis.call('SADD', KEYS[2], ARGV[1])
            if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
                redis.call('PEXPIRE', KEYS[2], ARGV[3])
            end
            return 1
            """);

    private static final LuaScript WITHDRAW = new LuaScript("""
            -- KEYS: the report, the set of reporters. ARGV: invoker
            redis.call('DEL', KEYS[1])
            return redis.call('SREM', KEYS[2], ARGV[1])
            """);

    private static final LuaScript READ = new LuaScript("""
            -- KEYS: the set of reporters. ARGV: the prefix of report keys. Returns the live reports.
            local reports = {}
            for _, invoker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
                local report = redis.call('GET', ARGV[1] .. invoker)
                if report then
                    table.insert(reports, report)
                else
                    redis.call('SREM', KEYS[1], invoker)
                end
            end
            return reports
            """);

    private final RedisConnection redis;

    /** Uses {@code client}, which the caller keeps and closes. */
    public RedisTriggerStatuses(RedisClient client) {
        this.redis = RedisConnection.over(client);
    }

    /** Connects to {@code redisUri} (e.g. redis://127.0.0.1:6379) with a client closed by {@link #close()}. */
    public RedisTriggerStatuses(String redisUri) {
        this.redis = RedisConnection.to(redisUri);
    }

    @Override
    public void report(String trigger, TriggerReport report, Duration ttl) {
        long ms = Math.max(1, ttl.toMillis());
        RedisConnection.call("report on trigger " + trigger, () -> REPORT.run(redis.sync(), ScriptOutputType.INTEGER,
                new String[] {reportKey(trigger, report.invoker()), reportersKey(trigger)},
                bytes(report.invoker()), RecordJson.encode(report), bytes(Long.toString(ms))));
    }

    @Override
    public void withdraw(String trigger, String invoker) {
        RedisConnection.call("withdraw the report on trigger " + trigger, () -> WITHDRAW.run(redis.sync(),
                ScriptOutputType.INTEGER, new String[] {reportKey(trigger, invoker), reportersKey(trigger)}, bytes(invoker)));
    }

    @Override
    public List<TriggerReport> reports(String trigger) {
        List<Object> found = RedisConnection.call("read the reports on trigger " + trigger, () -> READ.run(redis.sync(),
                ScriptOutputType.MULTI, new String[] {reportersKey(trigger)}, bytes(reportKey(trigger, ""))));
        List<TriggerReport> reports = new ArrayList<>();
        for (Object json : found) {
            try {
                reports.add(RecordJson.decode((byte[]) json, TriggerReport.class));
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "skipping an unreadable report on trigger " + trigger + ": " + e.getMessage());
            }
        }
        reports.sort(Comparator.comparing(TriggerReport::invoker));
        return reports;
    }

    @Override
    public void close() {
        redis.close();
    }

    private static String reportKey(String trigger, String invoker) {
        return "thaw:trigger:" + trigger + ":report:" + invoker;
    }

    private static String reportersKey(String trigger) {
        return "thaw:trigger:" + trigger + ":reporters";
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
