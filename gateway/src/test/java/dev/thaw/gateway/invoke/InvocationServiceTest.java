package dev.thaw.gateway.invoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.FakeInvokers;
import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.registry.InvocationRecord;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.registry.MemoryInvocationStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invoking, sync and async, without Quarkus and without KVM: who may call, deadlines, limits, host failures. */
class InvocationServiceTest {
    @TempDir
    Path dir;

    private FakeInvokers invokers;
    private MemoryInvocationStore store;
    private InvocationService invocations;

    @BeforeEach
    void setUp() {
        LocalFunctionRegistry registry = new LocalFunctionRegistry(dir);
        registry.deploy("open", "{\"name\": \"open\", \"public\": true, \"timeout_ms\": 250}", new byte[] {1});
        registry.deploy("closed", "{\"name\": \"closed\", \"concurrency\": 1}", new byte[] {1});
        invokers = new FakeInvokers();
        store = new MemoryInvocationStore(Duration.ofMinutes(1));
        invocations = new InvocationService(new FunctionCatalog(registry), invokers, store, new InProcessQueue(2, 10),
                new GatewayMetrics(new SimpleMeterRegistry()), Executors.newVirtualThreadPerTaskExecutor());
    }

    @AfterEach
    void tearDown() {
        invocations.close();
    }

    private InvocationService.Completed call(String target, boolean admin) {
        return invocations.invoke(InvocationService.Target.parse(target), "x".getBytes(), admin, Runnable::run).join();
    }

    private static int status(Runnable call) {
        CompletionException e = assertThrows(CompletionException.class, call::run);
        return ((ApiException) e.getCause()).status();
    }

    @Test
    void theDeadlineIsTheTimeoutCountedFromAdmission() {
        long before = System.nanoTime();
        assertEquals("echo:x", call("open", false).result().stdoutText());
        long deadline = invokers.deadlines.getFirst();
        assertTrue(deadline - before >= 250_000_000L && deadline - before < 1_250_000_000L, (deadline - before) + " ns");
    }

    @Test
    void withoutTheTokenPrivateAndMissingFunctionsAnswerAlike() {
        assertEquals(401, status(() -> call("closed", false)));
        assertEquals(401, status(() -> call("nothing", false)));
        assertEquals(404, status(() -> call("nothing", true)));
        assertEquals("echo:x", call("closed", true).result().stdoutText());
    }

    @Test
    void aHostFailureIsA500WithTheInvocationIdAndNoDetails() {
        invokers.answer = input -> CompletableFuture.failedFuture(new IllegalStateException("invoker 10.0.0.7:9001: /var/lib/secret"));
        CompletionException e = assertThrows(CompletionException.class, () -> call("closed", true));
        ApiException api = (ApiException) e.getCause();
        assertEquals(500, api.status());
        assertTrue(api.getMessage().startsWith("the platform failed to run the function (invocation inv_"), api.getMessage());
        assertTrue(!api.body().toString().contains("10.0.0.7") && !api.body().toString().contains("/var/lib"), api.body().toString());

        invokers.answer = input -> CompletableFuture.failedFuture(new Invokers.NoInvokerException("invoker 10.0.0.7 refused"));
        ApiException busy = (ApiException) assertThrows(CompletionException.class, () -> call("closed", true)).getCause();
        assertEquals(503, busy.status());
        assertEquals("1", busy.headers().get("Retry-After"));
    }

    @Test
    void asyncInvocationsWaitForTheConcurrencyLimitInsteadOfRunningBesideIt() throws Exception {
        CompletableFuture<dev.thaw.protocol.InvocationResult> release = new CompletableFuture<>();
        invokers.answer = input -> release;
        CompletableFuture<InvocationService.Completed> sync =
                invocations.invoke(InvocationService.Target.parse("closed"), "sync".getBytes(), true, Runnable::run);
        while (invokers.deadlines.isEmpty()) { // the sync call holds the one slot once it reached the invoker
            Thread.sleep(5);
        }
        String id = invocations.submit(InvocationService.Target.parse("closed"), "async".getBytes(), true);
        Thread.sleep(300);
        assertEquals(InvocationRecord.State.QUEUED, store.get(id).orElseThrow().state(), "it waits for the slot");
        assertEquals(1, invokers.deadlines.size(), "only the sync call reached an invoker");

        invokers.answer = input -> CompletableFuture.completedFuture(FakeInvokers.exited(0, "async done"));
        release.complete(FakeInvokers.exited(0, "sync done"));
        assertEquals("sync done", sync.join().result().stdoutText());
        long until = System.nanoTime() + 5_000_000_000L;
        while (store.get(id).orElseThrow().state() != InvocationRecord.State.DONE && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals("async done", new String(store.get(id).orElseThrow().stdout()));
    }
}
