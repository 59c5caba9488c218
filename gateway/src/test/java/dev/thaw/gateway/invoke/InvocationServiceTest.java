package dev.thaw.gateway.invoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.FakeInvokers;
import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.gateway.route.Invokers;
import dev.thaw.protocol.AsyncInvocation;
import dev.thaw.registry.InvocationRecord;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.registry.MemoryInvocationStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
    /** What the async queue was given; it refuses everything while {@link #queueDown}. */
    private final List<AsyncInvocation> queued = new CopyOnWriteArrayList<>();
    private volatile boolean queueDown;
    private final AsyncQueue queue = new AsyncQueue() {
        @Override
        public void accept(AsyncInvocation invocation) {
            if (queueDown) {
                throw new UnavailableException("the broker is down", null);
            }
            queued.add(invocation);
        }

        @Override
        public void close() {}
    };
    private MemoryInvocationStore store;
    private InvocationService invocations;

    @BeforeEach
    void setUp() {
        LocalFunctionRegistry registry = new LocalFunctionRegistry(dir);
        registry.deploy("open", "{\"name\": \"open\", \"public\": true, \"timeout_ms\": 250}", new byte[] {1});
        registry.deploy("closed", "{\"name\": \"closed\", \"concurrency\": 1}", new byte[] {1});
        invokers = new FakeInvokers();
        store = new MemoryInvocationStore(Duration.ofMinutes(1));
        invocations = new InvocationService(new FunctionCatalog(registry), invokers, store, queue,
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
    void anAcceptedAsyncInvocationIsStoredInTheQueueWithItsRecordQueued() {
        String id = invocations.submit(InvocationService.Target.parse("closed"), "later".getBytes(), true, null);
        assertEquals(1, queued.size());
        AsyncInvocation inv = queued.getFirst();
        assertEquals(id, inv.id());
        assertEquals("closed", inv.function());
        assertEquals(1, inv.version());
        assertEquals("later", new String(inv.input()));
        assertEquals(InvocationRecord.State.QUEUED, store.get(id).orElseThrow().state());
        assertEquals(0, invokers.deadlines.size(), "nothing ran at the gateway");
    }

    @Test
    void whenTheQueueCannotStoreItTheCallerGets503AndTheRecordSaysSo() {
        queueDown = true;
        ApiException e = assertThrows(ApiException.class,
                () -> invocations.submit(InvocationService.Target.parse("closed"), "x".getBytes(), true, null));
        assertEquals(503, e.status());
        String id = (String) e.body().get("invocation");
        InvocationRecord r = store.get(id).orElseThrow();
        assertEquals(InvocationRecord.State.DONE, r.state());
        assertTrue(r.error().contains("not accepted"), r.error());
    }

    @Test
    void aCallbackUrlNeedsTheAdminTokenAndMustBeHttp() {
        ApiException anonymous = assertThrows(ApiException.class, () -> invocations.submit(
                InvocationService.Target.parse("open"), "x".getBytes(), false, "http://127.0.0.1:6379/"));
        assertEquals(401, anonymous.status());
        ApiException notHttp = assertThrows(ApiException.class, () -> invocations.submit(
                InvocationService.Target.parse("open"), "x".getBytes(), true, "file:///etc/passwd"));
        assertEquals(400, notHttp.status());
        invocations.submit(InvocationService.Target.parse("open"), "x".getBytes(), true, "http://hooks.example/done");
        assertEquals("http://hooks.example/done", queued.getFirst().callbackUrl());
    }
}
