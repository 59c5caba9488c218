package dev.thaw.gateway.route;

import dev.thaw.invoker.Result;
import dev.thaw.invoker.service.BuildFailure;
import dev.thaw.invoker.service.FunctionHost;
import dev.thaw.registry.FunctionVersion;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The embedded single node: functions run in this JVM's engine, no network hop. */
public final class LocalInvokers implements Invokers {
    private final FunctionHost host;

    public LocalInvokers(FunctionHost host) {
        this.host = host;
    }

    @Override
    public CompletableFuture<Result> invoke(FunctionVersion version, byte[] input, long deadlineNanos) {
        return host.invoke(version, input, Duration.ofNanos(deadlineNanos - System.nanoTime()));
    }

    @Override
    public Built build(String name, byte[] bundle) throws BuildFailure {
        FunctionHost.Deployed d = host.build(name, bundle);
        return new Built(d.manifestJson(), d.build());
    }

    @Override
    public void forget(String name) {
        host.forget(name);
    }

    @Override
    public Optional<FunctionHost.PoolStats> pool(String name) {
        return Optional.of(host.pool(name));
    }

    @Override
    public boolean ready() {
        return true; // the engine started, so KVM works
    }

    @Override
    public void close() {
        host.close();
        host.engine().close();
    }
}
