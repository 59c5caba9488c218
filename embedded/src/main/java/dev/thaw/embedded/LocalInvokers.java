package dev.thaw.embedded;

import dev.thaw.gateway.route.Invokers;
import dev.thaw.invoker.service.FunctionHost;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.registry.FunctionVersion;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The embedded single node: functions run in this JVM's engine, no network hop. */
final class LocalInvokers implements Invokers {
    private final FunctionHost host;

    LocalInvokers(FunctionHost host) {
        this.host = host;
    }

    @Override
    public CompletableFuture<InvocationResult> invoke(FunctionVersion version, byte[] input, long deadlineNanos) {
        return host.invoke(version, input, deadlineNanos);
    }

    @Override
    public BuildOutcome build(String name, byte[] bundle) throws BuildFailure {
        return host.build(name, bundle);
    }

    @Override
    public void forget(String name) {
        host.forget(name);
    }

    @Override
    public Optional<PoolStats> pool(String name) {
        FunctionHost.PoolStats p = host.pool(name);
        return Optional.of(new PoolStats(p.idle(), p.created(), p.discarded(), p.shells(), p.coldStarts(), p.evictions()));
    }

    @Override
    public boolean ready() {
        return true; // the engine started, so KVM works
    }

    @Override
    public String where() {
        return "this JVM";
    }

    @Override
    public void close() {
        host.close();
        host.engine().close();
    }
}
