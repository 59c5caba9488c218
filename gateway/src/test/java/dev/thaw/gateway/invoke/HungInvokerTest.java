package dev.thaw.gateway.invoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.gateway.api.InvokeResource;
import dev.thaw.gateway.route.RemoteInvokers;
import dev.thaw.gateway.route.Router;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.protocol.BearerSecret;
import dev.thaw.registry.InvokerDirectory;
import dev.thaw.registry.InvokerInfo;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.registry.MemoryInvocationStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An invoker that accepts the connection and never answers (a double at the socket level:
 * no KVM needed) costs an invocation its timeout plus a small margin, answered as 504, and
 * the function's concurrency slot comes back every time.
 */
@Timeout(180) // without a deadline on the remote call, these calls would wait forever
class HungInvokerTest {
    private static final int TIMEOUT_MS = 300;
    /** The answer margin plus room for a busy machine. */
    private static final long BOUND_MS = TIMEOUT_MS + RemoteInvokers.ANSWER_MARGIN.toMillis() + 2_000;

    @TempDir
    Path dir;

    private ServerSocket hung;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private InvocationService invocations;
    private RemoteInvokers invokers;

    @BeforeEach
    void start() throws Exception {
        hung = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!hung.isClosed()) {
                try {
                    held.add(hung.accept()); // read nothing, answer nothing
                } catch (Exception closed) {
                    return;
                }
            }
        });
        InvokerInfo member = new InvokerInfo("hung", "http://127.0.0.1:" + hung.getLocalPort(), 1, 0, Instant.now());
        InvokerDirectory directory = new InvokerDirectory() {
            @Override
            public void heartbeat(InvokerInfo self, Duration ttl) {}

            @Override
            public void leave(String id) {}

            @Override
            public List<InvokerInfo> members() {
                return List.of(member);
            }

            @Override
            public void close() {}
        };
        LocalFunctionRegistry registry = new LocalFunctionRegistry(dir);
        registry.deploy("slowpoke", "{\"name\": \"slowpoke\", \"timeout_ms\": " + TIMEOUT_MS + ", \"concurrency\": 1}",
                new byte[] {1});
        invokers = new RemoteInvokers(directory, new Router(1.25), BearerSecret.of("secret", "secret"), Duration.ofSeconds(10));
        invocations = new InvocationService(new FunctionCatalog(registry), invokers,
                new MemoryInvocationStore(Duration.ofMinutes(1)), AsyncQueue.NONE,
                new GatewayMetrics(new SimpleMeterRegistry()), Executors.newVirtualThreadPerTaskExecutor());
    }

    @AfterEach
    void stop() throws Exception {
        invocations.close();
        invokers.close();
        hung.close();
        for (Socket s : held) {
            s.close();
        }
    }

    private InvocationService.Completed call() {
        return invocations.invoke(InvocationService.Target.parse("slowpoke"), "x".getBytes(), true, Runnable::run).join();
    }

    @Test
    void aHungInvokerGives504WithinTheTimeoutAndTheSlotComesBack() {
        for (int i = 0; i < 3; i++) { // the slot must come back each time: with concurrency 1 a leak shows as 429
            long start = System.nanoTime();
            InvocationService.Completed c = call();
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(InvocationResult.Status.TIMEOUT, c.result().status(), c.result().toString());
            assertTrue(ms >= TIMEOUT_MS && ms < BOUND_MS, "answered after " + ms + " ms");
            ApiException answer = assertThrows(ApiException.class, () -> InvokeResource.respond(c));
            assertEquals(504, answer.status());
        }
    }

    @Test
    void whileItHangsTheConcurrencyLimitHoldsAndAfterwardsItIsFreeAgain() throws Exception {
        CompletableFuture<InvocationService.Completed> first =
                invocations.invoke(InvocationService.Target.parse("slowpoke"), "x".getBytes(), true, Runnable::run);
        while (held.isEmpty()) { // the first call holds its slot once its request reached the invoker
            Thread.sleep(5);
        }
        CompletionException refused = assertThrows(CompletionException.class, this::call);
        assertEquals(429, ((ApiException) refused.getCause()).status());
        assertEquals(InvocationResult.Status.TIMEOUT, first.join().result().status());
        assertEquals(InvocationResult.Status.TIMEOUT, call().result().status(), "the slot came back");
    }
}
