package dev.thaw.gateway.deploy;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.gateway.invoke.FunctionCatalog;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.FunctionName;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.FunctionVersion;

/**
 * Deploying and deleting functions: a bundle is built on the invoker that will serve it
 * first, and only a bundle that builds becomes a version in the registry, so a failed deploy
 * leaves nothing behind. Plain Java: the REST layer only translates.
 */
public final class DeployService {
    private final FunctionRegistry registry;
    private final Invokers invokers;
    private final FunctionCatalog catalog;
    private final GatewayMetrics metrics;

    /** A new version and how its build went. */
    public record Deployed(FunctionVersion version, BuildOutcome build) {}

    public DeployService(FunctionRegistry registry, Invokers invokers, FunctionCatalog catalog, GatewayMetrics metrics) {
        this.registry = registry;
        this.invokers = invokers;
        this.catalog = catalog;
        this.metrics = metrics;
    }

    /** The name if it is one, else a 400 naming the rule. */
    public static String validName(String name) {
        if (!FunctionName.isValid(name)) {
            throw new ApiException(400, "invalid function name '" + name + "': it must be " + FunctionName.RULE);
        }
        return name;
    }

    /** Builds {@code bundle} and stores it as the next version of {@code name}. Blocks for the build. */
    public Deployed deploy(String name, byte[] bundle) throws BuildFailure {
        validName(name);
        long start = System.nanoTime();
        BuildOutcome built = invokers.build(name, bundle);
        metrics.build(System.nanoTime() - start);
        FunctionVersion version = registry.deploy(name, built.manifestJson(), bundle);
        catalog.changed(name);
        return new Deployed(version, built);
    }

    /** Removes every version; the invokers drop their shells. False when there was no such function. */
    public boolean delete(String name) {
        if (!registry.delete(validName(name))) {
            return false;
        }
        catalog.changed(name);
        invokers.forget(name);
        return true;
    }
}
