package dev.thaw.gateway;

import dev.thaw.gateway.route.Invokers;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.registry.FunctionVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Invokers without VMs, for testing the gateway's services on any machine: a build succeeds
 * unless the bundle says "broken", and an invocation answers what {@link #answer} says.
 */
public final class FakeInvokers implements Invokers {
    public final List<String> forgotten = new ArrayList<>();
    public final List<Long> deadlines = new java.util.concurrent.CopyOnWriteArrayList<>();
    public volatile Function<byte[], CompletableFuture<InvocationResult>> answer =
            input -> CompletableFuture.completedFuture(exited(0, "echo:" + new String(input, StandardCharsets.UTF_8)));

    public static InvocationResult exited(int status, String stdout) {
        return new InvocationResult(InvocationResult.Status.EXITED, status, 0, stdout.getBytes(StandardCharsets.UTF_8),
                new byte[0], List.of(), "", InvocationResult.Timings.NONE);
    }

    @Override
    public CompletableFuture<InvocationResult> invoke(FunctionVersion version, byte[] input, long deadlineNanos) {
        deadlines.add(deadlineNanos);
        return answer.apply(input);
    }

    @Override
    public BuildOutcome build(String name, byte[] bundle) throws BuildFailure {
        String text = new String(bundle, StandardCharsets.UTF_8);
        if (text.contains("broken")) {
            throw new BuildFailure(BuildFailure.Kind.DOES_NOT_BUILD, "the function does not compile", null, "main.c: error");
        }
        return new BuildOutcome(text, "0123456789abcdef0123456789abcdef", false, 1, 2, 3, 6);
    }

    @Override
    public void forget(String name) {
        forgotten.add(name);
    }

    @Override
    public Optional<PoolStats> pool(String name) {
        return Optional.empty();
    }

    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public String where() {
        return "a test";
    }

    @Override
    public void close() {}
}
