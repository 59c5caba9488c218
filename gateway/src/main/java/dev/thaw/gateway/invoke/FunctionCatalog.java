package dev.thaw.gateway.invoke;

import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.protocol.FunctionSettings;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry as the invocation path reads it. A version is immutable and its number is
 * never reused, so {@code name@n} can be cached; it is checked again every
 * {@value #VERSION_TTL_SECONDS} s, so a delete on another gateway stops it here within that.
 * "The latest version" is cached for a second, so a deploy on another gateway shows within a
 * second (one on this gateway, at once).
 */
public final class FunctionCatalog {
    private static final long LATEST_TTL_NANOS = 1_000_000_000L;
    static final long VERSION_TTL_SECONDS = 10;
    private static final long VERSION_TTL_NANOS = VERSION_TTL_SECONDS * 1_000_000_000L;

    private final FunctionRegistry registry;
    private final Map<String, Cached> versions = new ConcurrentHashMap<>();
    private final Map<String, Cached> latest = new ConcurrentHashMap<>();

    /** A deployed version with the settings the gateway enforces. */
    public record Deployed(FunctionVersion version, FunctionSettings settings) {}

    private record Cached(Deployed deployed, long expires) {
        boolean fresh() {
            return System.nanoTime() - expires < 0;
        }
    }

    public FunctionCatalog(FunctionRegistry registry) {
        this.registry = registry;
    }

    /** The version asked for (or the latest), if it exists. May read the registry: call off the event loop on a miss. */
    public Optional<Deployed> find(String name, OptionalInt version) {
        if (version.isPresent()) {
            String key = name + "@" + version.getAsInt();
            Cached c = versions.get(key);
            if (c != null && c.fresh()) {
                return Optional.of(c.deployed);
            }
            Optional<Deployed> d = registry.version(name, version.getAsInt()).map(FunctionCatalog::parse);
            d.ifPresentOrElse(x -> versions.put(key, new Cached(x, System.nanoTime() + VERSION_TTL_NANOS)),
                    () -> versions.remove(key));
            return d;
        }
        Cached l = latest.get(name);
        if (l != null && l.fresh()) {
            return Optional.of(l.deployed);
        }
        Optional<Deployed> d = registry.latest(name).map(FunctionCatalog::parse);
        d.ifPresentOrElse(x -> latest.put(name, new Cached(x, System.nanoTime() + LATEST_TTL_NANOS)), () -> latest.remove(name));
        return d;
    }

    /** The cached answer for the latest version, without touching the registry; empty when not cached. */
    public Optional<Deployed> cached(String name, OptionalInt version) {
        Cached c = version.isPresent() ? versions.get(name + "@" + version.getAsInt()) : latest.get(name);
        return c != null && c.fresh() ? Optional.of(c.deployed) : Optional.empty();
    }

    /** A deploy or delete on this gateway: forget what was cached. */
    public void changed(String name) {
        latest.remove(name);
        versions.keySet().removeIf(k -> k.startsWith(name + "@"));
    }

    private static Deployed parse(FunctionVersion v) {
        return new Deployed(v, FunctionSettings.of(v.manifestJson()));
    }
}
