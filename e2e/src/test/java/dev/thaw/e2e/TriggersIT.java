package dev.thaw.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.registry.KafkaBroker;
import dev.thaw.registry.RedisServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kafka trigger in a cluster, created with {@code fn trigger create}: two invokers share its
 * partitions, one is killed with SIGKILL mid-stream, and still every event runs, in its
 * partition's order, with duplicates only from the killed invoker's uncommitted window. The
 * function echoes its batch to the trigger's output topic, so the output shows what ran, in
 * the order it ran. Real processes: a gateway, two invokers, redis-server, Kafka.
 */
@KvmTest
class TriggersIT {
    private static final String TOKEN = "e2e-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 3;
    private static final int PER_PARTITION = 1000;
    private static final int BATCH = 10;
    /** Batches of a partition that may run again after a crash: its consumer's uncommitted window. */
    private static final int UNCOMMITTED_BATCHES = dev.thaw.events.TriggerConsumer.uncommittedBatches(BATCH);

    @RegisterExtension
    static RedisServer redis = new RedisServer();

    @RegisterExtension
    static KafkaBroker kafka = new KafkaBroker();

    @TempDir
    Path tmp;

    private static final String ECHO = """
            #include <stdio.h>
            static char buf[1 << 20];
            int main(void){size_t n=fread(buf,1,sizeof buf,stdin);fwrite(buf,1,n,stdout);return 0;}
            """;

    @Test
    void killingOneOfTwoInvokersMidStreamLosesNoEventAndKeepsEachPartitionsOrder() throws Exception {
        Path echo = Files.createDirectories(tmp.resolve("echo"));
        Files.writeString(echo.resolve("function.json"), "{\"name\": \"echo\", \"memory_mb\": 16}");
        Files.writeString(echo.resolve("main.c"), ECHO);
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic("e2e-events", PARTITIONS, (short) 1), new NewTopic("e2e-out", 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
            awaitLeaders(admin, "e2e-events", "e2e-out");
        }
        produce();

        int port = Node.freePort();
        String url = "http://127.0.0.1:" + port;
        try (Node a = Node.invoker("invoker-trigger-a", redis.uri(), Files.createDirectories(tmp.resolve("a")),
                     "--kafka-bootstrap", kafka.bootstrap());
             Node b = Node.invoker("invoker-trigger-b", redis.uri(), Files.createDirectories(tmp.resolve("b")),
                     "--kafka-bootstrap", kafka.bootstrap());
             Node gateway = Node.gateway("gateway-trigger", port, "thaw.redis-uri=" + redis.uri(),
                     "thaw.admin-token=" + TOKEN, "thaw.kafka.bootstrap=" + kafka.bootstrap())) {
            Node.Run deploy = Node.fn("--gateway", url, "--token", TOKEN, "deploy", echo.toString());
            assertEquals(0, deploy.exitCode(), deploy.output());
            Node.Run create = Node.fn("--gateway", url, "--token", TOKEN, "trigger", "create", "e2e", "--function", "echo",
                    "--topic", "e2e-events", "--batch-size", Integer.toString(BATCH), "--start", "earliest", "--to", "e2e-out");
            assertEquals(0, create.exitCode(), create.output());

            await("both invokers hold partitions and events are flowing", Duration.ofMinutes(2), () -> {
                JsonNode status = trigger(url).path("status");
                return status.path("consumers").size() == 2 && status.path("consumers").findValues("partitions").stream()
                        .allMatch(p -> p.size() > 0) && read(Duration.ofMillis(500)).size() > 10;
            });
            a.kill(); // SIGKILL: its partitions move to b after the session timeout; what it did not commit runs again

            List<long[]> ran = new ArrayList<>();
            await("every event ran", Duration.ofMinutes(4), () -> {
                ran.clear();
                for (ConsumerRecord<byte[], byte[]> r : read(Duration.ofSeconds(2))) {
                    ran.addAll(events(r));
                }
                return ran.stream().map(e -> e[0] + "/" + e[1]).distinct().count() == PARTITIONS * PER_PARTITION;
            });
            int duplicates = assertInOrderAndComplete(ran);
            System.out.println("TriggersIT: " + duplicates + " events ran twice after the SIGKILL");
            assertTrue(duplicates <= PARTITIONS * UNCOMMITTED_BATCHES * BATCH, duplicates
                    + " events ran twice: more than the killed invoker's uncommitted window");

            await("the lag is 0 on every partition and b holds them all", Duration.ofSeconds(60), () -> {
                JsonNode status = trigger(url).path("status");
                return status.path("lag").asLong(-1) == 0 && status.path("consumers").size() == 1
                        && status.path("consumers").get(0).path("partitions").size() == PARTITIONS;
            });
            Node.Run ls = Node.fn("--gateway", url, "--token", TOKEN, "trigger", "ls");
            assertEquals(0, ls.exitCode(), ls.output());
            assertTrue(ls.output().contains("e2e   echo      e2e-events  running  0:0 1:0 2:0"), ls.output());
            // The status above reads Kafka when asked; the gauge is refreshed every few seconds
            // (TriggerService.LAG_REFRESH_SECONDS), so it may show an older lag for one period.
            String[] metrics = {""};
            await("thaw_trigger_lag shows 0 on every partition", Duration.ofSeconds(20), () -> {
                metrics[0] = Node.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/q/metrics"))
                        .GET().build(), HttpResponse.BodyHandlers.ofString()).body();
                for (int part = 0; part < PARTITIONS; part++) {
                    if (!metrics[0].contains("thaw_trigger_lag{partition=\"" + part + "\",trigger=\"e2e\"} 0.0")) {
                        return false;
                    }
                }
                return true;
            }, () -> metrics[0].lines().filter(l -> l.startsWith("thaw_trigger")).toList().toString());

            Node.Run rm = Node.fn("--gateway", url, "--token", TOKEN, "trigger", "rm", "e2e");
            assertEquals(0, rm.exitCode(), rm.output());
            assertEquals(404, Node.get(url + "/v1/triggers/e2e", TOKEN).statusCode());
        }
    }

    private static JsonNode trigger(String url) throws Exception {
        HttpResponse<String> r = Node.get(url + "/v1/triggers/e2e", TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static void produce() throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1); // see TriggerConsumerTest
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<?>> sent = new ArrayList<>();
            for (int n = 0; n < PER_PARTITION; n++) {
                for (int part = 0; part < PARTITIONS; part++) {
                    sent.add(producer.send(new ProducerRecord<>("e2e-events", part, null, ("p" + part + "-" + n).getBytes(UTF_8))));
                }
            }
            for (Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitLeaders(Admin admin, String... topics) throws Exception {
        await("leaders", Duration.ofSeconds(30), () -> admin.describeTopics(List.of(topics)).allTopicNames()
                .get(10, TimeUnit.SECONDS).values().stream().flatMap(t -> t.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
    }

    /** The output topic from its beginning, in order, polling for {@code quiet} after the last record. */
    private static List<ConsumerRecord<byte[], byte[]>> read(Duration quiet) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition out = new TopicPartition("e2e-out", 0);
            c.assign(List.of(out));
            c.seekToBeginning(List.of(out));
            long end = c.endOffsets(List.of(out)).get(out);
            long until = System.nanoTime() + quiet.toNanos();
            while (c.position(out) < end && System.nanoTime() < until) {
                c.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** The events one output record (the echo of a batch) holds: partition and offset of each. */
    private static List<long[]> events(ConsumerRecord<byte[], byte[]> output) throws Exception {
        List<long[]> events = new ArrayList<>();
        for (JsonNode e : JSON.readTree(output.value())) {
            long partition = e.get("partition").asLong();
            long offset = e.get("offset").asLong();
            assertEquals("p" + partition + "-" + offset, e.get("value").asText(), "the event's value came with it");
            events.add(new long[] {partition, offset});
        }
        return events;
    }

    /**
     * Each partition's events ran in offset order: an offset may come again only as a re-run of
     * one that ran already (after the crash), never skipping ahead. Returns how many re-ran.
     */
    private static int assertInOrderAndComplete(List<long[]> ran) {
        Map<Long, List<Long>> byPartition = new HashMap<>();
        for (long[] e : ran) {
            byPartition.computeIfAbsent(e[0], k -> new ArrayList<>()).add(e[1]);
        }
        int duplicates = 0;
        for (long part = 0; part < PARTITIONS; part++) {
            List<Long> seen = byPartition.getOrDefault(part, List.of());
            long next = 0;
            for (int i = 0; i < seen.size(); i++) {
                long o = seen.get(i);
                if (o == next) {
                    next++;
                } else {
                    assertTrue(o < next, "partition " + part + ": offset " + o + " ran before " + next + " ("
                            + seen.subList(Math.max(0, i - 5), Math.min(seen.size(), i + 5)) + ")");
                    duplicates++;
                }
            }
            assertEquals(PER_PARTITION, next, "partition " + part + ": every event ran");
        }
        return duplicates;
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(String what, Duration within, Condition condition) throws Exception {
        await(what, within, condition, () -> "");
    }

    /** Waits for {@code condition}; on a timeout the error ends with what {@code seen} says was last seen. */
    private static void await(String what, Duration within, Condition condition,
                              java.util.function.Supplier<String> seen) throws Exception {
        long until = System.nanoTime() + within.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("not within " + within + ": " + what + " " + seen.get());
            }
            Thread.sleep(500);
        }
    }
}
