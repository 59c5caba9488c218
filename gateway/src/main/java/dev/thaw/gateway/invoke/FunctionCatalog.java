package dev.thaw.gateway.invoke;

import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;
import dev.thaw.snapshotter.Manifest;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry as the invocation path reads it: versions are immutable, so {@code name@n}
 * is cached for good; "the latest version" is cached for a second, so a deploy on another
 * gateway shows within a second (one on this gateway, at once).
 */
public final class FunctionCatalog {
    private static final long LATEST_TTL_NANOS = 1_000_000_000L;

    private final FunctionRegistry registry;
    private final Map<String, Deployed> versions = new ConcurrentHashMap<>();
    private final Map<String, Latest> latest = new ConcurrentHashMap<>();

    /** A deployed version with its parsed manifest. */
    public record Deployed(FunctionVersion version, Manifest manifest) {}

    private record Latest(Deployed deployed, long expires) {}

    public FunctionCatalog(FunctionRegistry registry) {
        this.registry = registry;
    }

    /** The version asked for (or the latest), if it exists. May read the registry: call off the event loop on a miss. */
    public Optional<Deployed> find(String name, OptionalInt version) {
        if (version.isPresent()) {
            String key = name + "@" + version.getAsInt();
            Deployed d = versions.get(key);
            if (d == null) {
                d = registry.version(name, version.getAsInt()).map(FunctionCatalog::parse).orElse(null);
                if (d != null) {
                    versions.put(key, d);
                }
            }
            return Optional.ofNullable(d);
        }
        Latest l = latest.get(name);
        if (l != null && System.nanoTime() - l.expires < 0) {
            return Optional.of(l.deployed);
        }
        Optional<Deployed> d = registry.latest(name).map(FunctionCatalog::parse);
        d.ifPresentOrElse(x -> latest.put(name, new Latest(x, System.nanoTime() + LATEST_TTL_NANOS)), () -> latest.remove(name));
        return d;
    }

    /** The cached answer for the latest version, without touching the registry; empty when not cached. */
    public Optional<Deployed> cached(String name, OptionalInt version) {
        if (version.isPresent()) {
            return Optional.ofNullable(versions.get(name + "@" + version.getAsInt()));
        }
        Latest l = latest.get(name);
        return l != null && System.nanoTime() - l.expires < 0 ? Optional.of(l.deployed) : Optional.empty();
    }

    /** A deploy or delete on this gateway: forget what was cached. */
    public void changed(String name) {
        latest.remove(name);
        versions.keySet().removeIf(k -> k.startsWith(name + "@"));
    }

    private static Deployed parse(FunctionVersion v) {
        try {
            return new Deployed(v, Manifest.parse(v.manifestJson()));
        } catch (Manifest.InvalidManifestException e) {
            throw new IllegalStateException("registry holds an invalid manifest for " + v.name() + "@" + v.version(), e);
        }
    }
}
