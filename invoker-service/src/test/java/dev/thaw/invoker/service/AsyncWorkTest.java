package dev.thaw.invoker.service;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.thaw.events.AsyncProducer;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.protocol.AsyncInvocation;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.registry.InvocationRecord;
import dev.thaw.registry.KafkaBroker;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.registry.MemoryInvocationStore;
import dev.thaw.snapshotter.SnapshotStore;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Async invocations stored in a real Kafka broker run on a real engine: each runs and gets
 * its record, a redelivery runs nothing twice, a failing function is retried up to its
 * manifest's retries and then dead-lettered with its error, and the callback gets the result.
 */
@KvmTest
class AsyncWorkTest {
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    private static Path dir;
    private static Engine engine;
    private static FunctionHost host;
    private static LocalFunctionRegistry registry;
    private static MemoryInvocationStore store;
    private static AsyncWork work;
    private static AsyncProducer producer;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("thaw-async-work-test");
        engine = Engine.start(2);
        registry = new LocalFunctionRegistry(dir.resolve("registry"));
        host = new FunctionHost(engine, new SnapshotStore(dir.resolve("snapshots")), registry, dir.resolve("work"));
        store = new MemoryInvocationStore(Duration.ofMinutes(10));
        work = AsyncWork.start(kafka.bootstrap(), 3, "test-invoker", host, registry, store);
        producer = new AsyncProducer(kafka.bootstrap(), "test-gateway");
        deploy("echo", "{\"name\": \"echo\", \"memory_mb\": 16}",
                "#include <stdio.h>\nint main(void){char b[64]={0};fread(b,1,63,stdin);printf(\"got %s\",b);return 0;}\n");
        deploy("flaky", "{\"name\": \"flaky\", \"memory_mb\": 16, \"retries\": 2}",
                "#include <stdio.h>\nint main(void){getchar();fputs(\"it broke\\n\",stderr);return 7;}\n");
    }

    @AfterAll
    static void stop() throws Exception {
        producer.close();
        work.close();
        host.close();
        engine.close();
        SnapshotStore.delete(dir);
    }

    private static void deploy(String name, String manifest, String source) throws Exception {
        Map<String, String> files = new TreeMap<>(Map.of("function.json", manifest, "main.c", source));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] content = f.getValue().getBytes(UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        BuildOutcome built = host.build(name, bytes.toByteArray());
        registry.deploy(name, built.manifestJson(), bytes.toByteArray());
    }

    private static AsyncInvocation invocation(String id, String function, String input, String callback) {
        return new AsyncInvocation(id, function, 1, input.getBytes(UTF_8), Instant.now(), 0, callback);
    }

    private static InvocationRecord awaitDone(String id) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until) {
            var r = store.get(id);
            if (r.isPresent() && r.get().state() == InvocationRecord.State.DONE) {
                return r.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("invocation " + id + " did not finish: " + store.get(id));
    }

    @Test
    void everyStoredInvocationRunsAndARedeliveryRunsNothingTwice() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String id = "inv_echo_" + i;
            ids.add(id);
            producer.send(invocation(id, "echo", "n" + i, null));
        }
        for (int i = 0; i < ids.size(); i++) {
            InvocationRecord r = awaitDone(ids.get(i));
            assertEquals("EXITED", r.outcome());
            assertEquals("got n" + i, new String(r.stdout(), UTF_8));
        }
        Instant finished = store.get("inv_echo_0").orElseThrow().finishedAt();
        producer.send(invocation("inv_echo_0", "echo", "again", null)); // the same id: a redelivery
        producer.send(invocation("inv_echo_marker", "echo", "marker", null));
        awaitDone("inv_echo_marker"); // the same partition (keyed by function): the duplicate came before it
        InvocationRecord first = store.get("inv_echo_0").orElseThrow();
        assertEquals(finished, first.finishedAt(), "the redelivered invocation did not run again");
        assertEquals("got n0", new String(first.stdout(), UTF_8));
    }

    @Test
    void aFailingFunctionIsTriedUpToItsRetriesThenDeadLetteredWithItsError() throws Exception {
        LinkedBlockingQueue<String> callbacks = new LinkedBlockingQueue<>();
        HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/done", exchange -> {
            callbacks.add(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        hook.start();
        try (KafkaConsumer<byte[], byte[]> dlq = deadLetterReader()) {
            String callback = "http://127.0.0.1:" + hook.getAddress().getPort() + "/done";
            producer.send(invocation("inv_flaky_1", "flaky", "x", callback));
            InvocationRecord r = awaitDone("inv_flaky_1");
            assertEquals("EXITED", r.outcome());
            assertEquals(7, r.exitCode());
            assertTrue(r.error().contains("after 3 tries, sent to the dead letters"), r.error());
            assertEquals("it broke\n", new String(r.stderr(), UTF_8));

            ConsumerRecord<byte[], byte[]> letter = null;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (letter == null && System.nanoTime() < until) {
                for (ConsumerRecord<byte[], byte[]> c : dlq.poll(Duration.ofMillis(200))) {
                    letter = c;
                }
            }
            assertTrue(letter != null, "nothing on the dead-letter topic");
            Map<String, String> headers = new HashMap<>();
            for (Header h : letter.headers()) {
                headers.put(h.key(), new String(h.value(), UTF_8));
            }
            assertEquals("inv_flaky_1", headers.get(AsyncInvocation.ID));
            assertEquals("2", headers.get(AsyncInvocation.ATTEMPT), "the third try (attempts count from 0)");
            assertEquals("function exited with status 7", headers.get(AsyncInvocation.ERROR));
            assertEquals("x", new String(letter.value(), UTF_8));

            String posted = callbacks.poll(30, TimeUnit.SECONDS);
            assertTrue(posted != null && posted.contains("\"invocation\":\"inv_flaky_1\"") && posted.contains("\"exit_code\":7"),
                    String.valueOf(posted));
        } finally {
            hook.stop(0);
        }
    }

    private static KafkaConsumer<byte[], byte[]> deadLetterReader() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-dead-letters");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(AsyncInvocation.DEAD_LETTER_TOPIC));
        return c;
    }
}
