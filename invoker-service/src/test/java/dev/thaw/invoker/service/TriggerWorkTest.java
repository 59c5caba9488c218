package dev.thaw.invoker.service;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.thaw.events.TriggerConsumer;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.testing.KvmTest;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.TriggerSpec;
import dev.thaw.registry.KafkaBroker;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.registry.LocalTriggerRegistry;
import dev.thaw.registry.MemoryTriggerStatuses;
import dev.thaw.registry.TriggerReport;
import dev.thaw.snapshotter.SnapshotStore;
import java.io.ByteArrayOutputStream;
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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
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
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kafka triggers on a real broker and a real engine, as a host runs them ({@link TriggerHost}
 * following a trigger registry): every event of three partitions runs in its partition's
 * order, a poison event is retried and then dead-lettered with its error while the events
 * after it run, a poison event without a dead-letter topic holds its partition until the
 * function is fixed, and a broker killed and restarted mid-stream loses nothing. The
 * functions echo their input, so each batch shows up on the trigger's output topic as it ran.
 */
@KvmTest
class TriggerWorkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Kept: java.util.logging holds loggers weakly, and the Kafka clients log every setting at INFO. */
    private static final java.util.logging.Logger KAFKA_LOG = java.util.logging.Logger.getLogger("org.apache.kafka");

    static {
        KAFKA_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    private static Path dir;
    private static Engine engine;
    private static FunctionHost host;
    private static LocalFunctionRegistry functions;
    private static LocalTriggerRegistry triggers;
    private static MemoryTriggerStatuses statuses;
    private static TriggerHost triggerHost;
    private static Admin admin;
    private static KafkaProducer<byte[], byte[]> producer;

    private static final String ECHO = """
            #include <stdio.h>
            static char buf[1 << 20];
            int main(void){size_t n=fread(buf,1,sizeof buf,stdin);fwrite(buf,1,n,stdout);return 0;}
            """;
    private static final String PICKY = """
            #include <stdio.h>
            #include <string.h>
            static char buf[1 << 20];
            int main(void){size_t n=fread(buf,1,sizeof buf-1,stdin);buf[n]=0;
            if(strstr(buf,"poison")){fputs("poisoned\\n",stderr);return 3;}
            fwrite(buf,1,n,stdout);return 0;}
            """;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("thaw-trigger-work-test");
        engine = Engine.start(2);
        functions = new LocalFunctionRegistry(dir.resolve("registry"));
        host = new FunctionHost(engine, new SnapshotStore(dir.resolve("snapshots")), functions, dir.resolve("work"));
        triggers = new LocalTriggerRegistry(dir.resolve("triggers"));
        statuses = new MemoryTriggerStatuses();
        triggerHost = new TriggerHost("test-host", kafka.bootstrap(), triggers, statuses, host, functions).start();
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        admin = Admin.create(a);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        // One request at a time: a retried batch is always recognised as a duplicate (on a busy machine,
        // several in flight to a new topic ended in OutOfOrderSequenceException and a producer stuck retrying).
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        deploy("echo", ECHO);
        deploy("picky", PICKY);
    }

    @AfterAll
    static void stop() throws Exception {
        triggerHost.close();
        producer.close();
        admin.close();
        host.close();
        engine.close();
        SnapshotStore.delete(dir);
    }

    private static void deploy(String name, String source) throws Exception {
        Map<String, String> files = new TreeMap<>(Map.of("function.json",
                "{\"name\": \"" + name + "\", \"memory_mb\": 16}", "main.c", source));
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
        functions.deploy(name, built.manifestJson(), bytes.toByteArray());
    }

    private static void topics(int partitions, String... names) throws Exception {
        List<NewTopic> topics = new ArrayList<>();
        for (String name : names) {
            topics.add(new NewTopic(name, name.endsWith("-out") ? 1 : partitions, (short) 1));
        }
        admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        await("leaders", Duration.ofSeconds(30), () -> {
            try {
                return admin.describeTopics(List.of(names)).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                        .flatMap(t -> t.partitions().stream()).allMatch(p -> p.leader() != null && !p.leader().isEmpty());
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static TriggerSpec trigger(String name, String function, String topic, int batchSize, int maxRetries,
                                       String dlq, String to) {
        TriggerSpec spec = new TriggerSpec(name, function, topic, null, TriggerSpec.defaultGroup(name), batchSize, 0,
                TriggerSpec.Start.EARLIEST, maxRetries, dlq, to, Instant.now());
        assertTrue(triggers.create(spec));
        return spec;
    }

    /** Produces {@code perPartition} events to each partition, values "p<partition>-<n>" (or the poison's value). */
    private static void produce(String topic, int partitions, int perPartition, Map<String, String> replaced) throws Exception {
        List<Future<?>> sent = new ArrayList<>();
        for (int n = 0; n < perPartition; n++) {
            for (int p = 0; p < partitions; p++) {
                String value = "p" + p + "-" + n;
                sent.add(producer.send(new ProducerRecord<>(topic, p, null, replaced.getOrDefault(value, value).getBytes(UTF_8))));
            }
        }
        for (Future<?> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    private static void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("not within " + within + ": " + what);
            }
            Thread.sleep(100);
        }
    }

    /** Reads a topic from its beginning, in order within each partition, until {@code count} records or {@code within}. */
    private static List<ConsumerRecord<byte[], byte[]>> read(String topic, int count, Duration within) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            long until = System.nanoTime() + within.toNanos();
            while (records.size() < count && System.nanoTime() < until) {
                c.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** The events an output record holds (the echo of its batch): partition and offset of each, as they ran. */
    private static List<long[]> ran(List<ConsumerRecord<byte[], byte[]>> outputs) throws Exception {
        List<long[]> events = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : outputs) {
            for (JsonNode e : JSON.readTree(r.value())) {
                String value = e.get("value").asText();
                assertEquals(value, value.startsWith("poison") ? value : "p" + e.get("partition").asInt() + "-"
                        + e.get("offset").asLong(), "the event's value came with it");
                events.add(new long[] {e.get("partition").asInt(), e.get("offset").asLong()});
            }
        }
        return events;
    }

    /**
     * Checks that each partition's events ran in offset order (a run may start again at an earlier
     * offset only after a failure re-delivered them) and that all of {@code expected} ran; returns
     * how many ran more than once.
     */
    private static int assertOrderedAndComplete(List<long[]> ran, Map<Integer, List<Long>> expected) {
        Map<Integer, List<Long>> byPartition = new HashMap<>();
        for (long[] e : ran) {
            byPartition.computeIfAbsent((int) e[0], k -> new ArrayList<>()).add(e[1]);
        }
        int duplicates = 0;
        for (Map.Entry<Integer, List<Long>> want : expected.entrySet()) {
            List<Long> seen = byPartition.getOrDefault(want.getKey(), List.of());
            int next = 0; // index into the expected offsets: the next one not run yet
            for (int i = 0; i < seen.size(); i++) {
                long o = seen.get(i);
                if (next < want.getValue().size() && o == want.getValue().get(next)) {
                    next++;
                } else {
                    int at = want.getValue().indexOf(o);
                    // Not the next one: it must be a re-run of one that ran already, never one that skipped ahead.
                    assertTrue(at >= 0 && at < next, "partition " + want.getKey() + ": offset " + o + " ran out of order ("
                            + seen.subList(Math.max(0, i - 5), Math.min(seen.size(), i + 5)) + ")");
                    duplicates++;
                }
            }
            assertEquals(want.getValue().size(), next, "partition " + want.getKey() + ": every event ran");
        }
        return duplicates;
    }

    private static Map<Integer, List<Long>> offsets(int partitions, int perPartition) {
        Map<Integer, List<Long>> m = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            List<Long> list = new ArrayList<>();
            for (long o = 0; o < perPartition; o++) {
                list.add(o);
            }
            m.put(p, list);
        }
        return m;
    }

    private static TriggerReport report(String trigger) {
        List<TriggerReport> reports = statuses.reports(trigger);
        return reports.isEmpty() ? null : reports.getFirst();
    }

    @Test
    void everyEventOfThreePartitionsRunsOnceInItsPartitionsOrder() throws Exception {
        topics(3, "orders", "orders-out");
        produce("orders", 3, 1000, Map.of());
        trigger("orders", "echo", "orders", 1, 2, null, "orders-out");

        List<ConsumerRecord<byte[], byte[]>> outputs = read("orders-out", 3000, Duration.ofMinutes(3));
        assertEquals(3000, outputs.size(), "one output per event (batch size 1)");
        await("every offset committed and reported", Duration.ofSeconds(30),
                () -> report("orders") != null && report("orders").events() == 3000);
        assertEquals(0, assertOrderedAndComplete(ran(outputs), offsets(3, 1000)), "no event ran twice");
        assertEquals(List.of(0, 1, 2), report("orders").partitions());
        assertEquals(TriggerReport.RUNNING, report("orders").state());
        assertEquals(3000, read("orders-out", 3001, Duration.ofSeconds(2)).size(), "and nothing more");
        triggers.delete("orders");
    }

    @Test
    void aPoisonEventIsRetriedThenDeadLetteredWithItsErrorAndTheEventsAfterItRun() throws Exception {
        topics(1, "payments", "payments-dlq", "payments-out");
        produce("payments", 1, 100, Map.of("p0-37", "poison-37"));
        trigger("payments", "picky", "payments", 10, 1, "payments-dlq", "payments-out");

        List<ConsumerRecord<byte[], byte[]>> letters = read("payments-dlq", 1, Duration.ofMinutes(2));
        assertEquals(1, letters.size(), "the poison event is dead-lettered");
        ConsumerRecord<byte[], byte[]> letter = letters.getFirst();
        assertEquals("poison-37", new String(letter.value(), UTF_8));
        Map<String, String> headers = new HashMap<>();
        for (Header h : letter.headers()) {
            headers.put(h.key(), new String(h.value(), UTF_8));
        }
        assertEquals("function exited with status 3: poisoned", headers.get("thaw-error"));
        assertEquals("EXITED", headers.get("thaw-outcome"));
        assertEquals("poisoned\n", headers.get("thaw-stderr"));
        assertEquals("2", headers.get("thaw-tries"), "alone, it was tried 1 + max_retries times");
        assertEquals("payments", headers.get("thaw-trigger"));
        assertEquals("picky", headers.get("thaw-function"));
        assertEquals("payments", headers.get("thaw-source-topic"));
        assertEquals("0", headers.get("thaw-source-partition"));
        assertEquals("37", headers.get("thaw-source-offset"));

        await("all 100 handled", Duration.ofSeconds(60), () -> report("payments") != null && report("payments").events() == 100);
        List<Long> expected = new ArrayList<>();
        for (long o = 0; o < 100; o++) {
            if (o != 37) {
                expected.add(o);
            }
        }
        List<ConsumerRecord<byte[], byte[]>> outputs = read("payments-out", 1000, Duration.ofSeconds(3));
        assertEquals(0, assertOrderedAndComplete(ran(outputs), Map.of(0, expected)));
        TriggerReport r = report("payments");
        assertEquals(1, r.deadLettered());
        assertTrue(r.lastError().contains("failed (try 1 of 2): function exited with status 3: poisoned"), r.lastError());
        assertEquals(TriggerReport.RUNNING, r.state(), "the partition went on");
        triggers.delete("payments");
    }

    @Test
    void withoutADeadLetterTopicAPoisonEventHoldsItsPartitionUntilTheFunctionIsFixed() throws Exception {
        topics(1, "strict", "strict-out");
        deploy("fixable", PICKY);
        produce("strict", 1, 5, Map.of("p0-2", "poison-2"));
        trigger("strict", "fixable", "strict", 1, 0, null, "strict-out");

        await("the partition waits on the poison event", Duration.ofSeconds(60), () -> report("strict") != null
                && TriggerReport.ERROR.equals(report("strict").state()));
        assertTrue(report("strict").error().startsWith("event strict/0@2 fails (function exited with status 3: poisoned); "
                + "with no dead-letter topic, its partition waits for it to pass ("), report("strict").error());
        Thread.sleep(1000);
        assertEquals(2, read("strict-out", 10, Duration.ofSeconds(2)).size(), "nothing after it ran");

        deploy("fixable", ECHO); // the fix: a new version, picked up within a second
        List<ConsumerRecord<byte[], byte[]>> outputs = read("strict-out", 5, Duration.ofMinutes(1));
        assertEquals(0, assertOrderedAndComplete(ran(outputs), offsets(1, 5)));
        await("running again", Duration.ofSeconds(10), () -> TriggerReport.RUNNING.equals(report("strict").state()));
        assertEquals(0, report("strict").deadLettered());
        triggers.delete("strict");
    }

    @Test
    void aBrokerKilledAndRestartedMidStreamLosesNothing() throws Exception {
        topics(3, "clicks", "clicks-out");
        int perPartition = 500;
        produce("clicks", 3, perPartition, Map.of());
        int batch = 5;
        trigger("clicks", "echo", "clicks", batch, 2, null, "clicks-out");
        await("the stream is flowing", Duration.ofMinutes(1),
                () -> triggerHost.status("clicks") != null && triggerHost.status("clicks").events() > 150);

        long handledBefore = triggerHost.status("clicks").events();
        kafka.kill();
        assertTrue(handledBefore < 3 * perPartition, "the broker dies mid-stream (" + handledBefore + " handled)");
        Thread.sleep(2000);
        kafka.restart();

        List<ConsumerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        await("every event ran after the restart", Duration.ofMinutes(3), () -> {
            outputs.clear();
            outputs.addAll(read("clicks-out", Integer.MAX_VALUE, Duration.ofSeconds(3)));
            try {
                return ran(outputs).stream().map(e -> e[0] + "/" + e[1]).distinct().count() == 3 * perPartition;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        int duplicates = assertOrderedAndComplete(ran(outputs), offsets(3, perPartition));
        // What ran twice is what was not committed when the broker died: at most the uncommitted window per partition.
        assertTrue(duplicates <= 3 * TriggerConsumer.uncommittedBatches(batch) * batch, duplicates + " events ran twice");
        TriggerConsumer.Status s = triggerHost.status("clicks");
        assertNotNull(s);
        assertEquals(List.of(0, 1, 2), s.partitions());
        triggers.delete("clicks");
    }
}
