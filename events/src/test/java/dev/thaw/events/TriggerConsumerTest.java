package dev.thaw.events;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.protocol.TriggerSpec;
import dev.thaw.registry.KafkaBroker;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The trigger consumer's semantics on a real broker, with handlers that record what they
 * are given (no VM): order within a partition, no partition run by two consumers at once,
 * commits after handling, batches, and errors shown instead of crashes.
 */
class TriggerConsumerTest {
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    private static Admin admin;
    private static KafkaProducer<byte[], byte[]> producer;
    /** Kept: java.util.logging holds loggers weakly, and the Kafka clients log every setting at INFO. */
    private static final java.util.logging.Logger KAFKA_LOG = java.util.logging.Logger.getLogger("org.apache.kafka");

    static {
        KAFKA_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    @BeforeAll
    static void connect() {
        connectTo(kafka);
    }

    static void connectTo(KafkaBroker kafka) {
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        admin = Admin.create(a);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        // One request at a time: a retried batch is always recognised as a duplicate (on a busy machine,
        // several in flight to a new topic ended in OutOfOrderSequenceException and a producer stuck retrying).
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void disconnect() {
        producer.close();
        admin.close();
    }

    static void createTopic(String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        await("leaders for " + topic, Duration.ofSeconds(30), () -> {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                        .partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Produces {@code perPartition} events to each partition, values "p<partition>-<n>". */
    static void produce(String topic, int partitions, int perPartition) throws Exception {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        for (int n = 0; n < perPartition; n++) {
            for (int p = 0; p < partitions; p++) {
                sent.add(producer.send(new ProducerRecord<>(topic, p, null, ("p" + p + "-" + n).getBytes(UTF_8))));
            }
        }
        for (java.util.concurrent.Future<?> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    static TriggerConsumer.Settings settings(String topic, String group, int batchSize, int windowMs) {
        return new TriggerConsumer.Settings(kafka.bootstrap(), topic, group, group + "-client", TriggerSpec.Start.EARLIEST,
                batchSize, windowMs);
    }

    static void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("not within " + within + ": " + what);
            }
            Thread.sleep(50);
        }
    }

    static long totalLag(ConsumerLag lag, String group, String topic) {
        try {
            return lag.of(group, topic, TriggerSpec.Start.EARLIEST, Duration.ofSeconds(5)).stream()
                    .mapToLong(ConsumerLag.PartitionLag::lag).sum();
        } catch (ConsumerLag.UnavailableException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** Records what it handles per partition and fails the test if two batches of one partition overlap. */
    static final class Recorder implements TriggerConsumer.BatchHandler {
        final Map<Integer, List<Long>> offsets = new ConcurrentHashMap<>();
        final Map<Integer, AtomicInteger> running = new ConcurrentHashMap<>();
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final List<String> violations = new CopyOnWriteArrayList<>();
        /** Partition to the lane threads (named after their consumer) that ran it. */
        final Map<Integer, java.util.Set<String>> consumers = new ConcurrentHashMap<>();
        volatile long delayMs;

        @Override
        public void handle(List<TriggerEvent> batch, TriggerConsumer.Progress progress) throws InterruptedException {
            int p = batch.getFirst().partition();
            if (running.computeIfAbsent(p, x -> new AtomicInteger()).incrementAndGet() != 1) {
                violations.add("two batches of partition " + p + " at once, at " + batch.getFirst().offset());
            }
            try {
                consumers.computeIfAbsent(p, x -> ConcurrentHashMap.newKeySet()).add(Thread.currentThread().getName());
                batchSizes.add(batch.size());
                if (delayMs > 0) {
                    Thread.sleep(delayMs);
                }
                List<Long> seen = offsets.computeIfAbsent(p, x -> Collections.synchronizedList(new ArrayList<>()));
                for (TriggerEvent e : batch) {
                    seen.add(e.offset());
                    if (!new String(e.value(), UTF_8).startsWith("p" + p + "-")) {
                        violations.add("event " + e.where() + " holds " + new String(e.value(), UTF_8));
                    }
                }
                progress.handled(batch.getLast().offset() + 1, batch.size(), 0);
            } finally {
                running.get(p).decrementAndGet();
            }
        }

        int total() {
            return offsets.values().stream().mapToInt(List::size).sum();
        }
    }

    /** Each partition's offsets, as handled, with the re-runs after a hand-over removed; checks they were in order. */
    static void assertInOrderOnce(Recorder r, int partitions, int perPartition) {
        for (int p = 0; p < partitions; p++) {
            List<Long> seen = new ArrayList<>(r.offsets.getOrDefault(p, List.of()));
            long next = 0;
            for (long o : seen) {
                assertTrue(o <= next, "partition " + p + ": offset " + o + " ran before " + next + " (" + seen + ")");
                if (o == next) {
                    next++;
                }
            }
            assertEquals(perPartition, next, "partition " + p + " ran every event; by " + r.consumers.get(p) + ", around "
                    + seen.subList(Math.max(0, (int) next - 5), Math.min(seen.size(), (int) next + 5)) + ", of " + seen.size());
        }
    }

    @Test
    void everyEventOfEveryPartitionIsHandledInOrderAndCommitted() throws Exception {
        createTopic("orders", 3);
        produce("orders", 3, 1000);
        Recorder recorder = new Recorder();
        try (ConsumerLag lag = new ConsumerLag(kafka.bootstrap())) {
            assertEquals(3000, totalLag(lag, "g-orders", "orders"), "nothing consumed yet");
        }
        try (ConsumerLag lag = new ConsumerLag(kafka.bootstrap());
             TriggerConsumer consumer = new TriggerConsumer("orders", settings("orders", "g-orders", 1, 0), recorder)) {
            await("3,000 events handled", Duration.ofSeconds(60), () -> recorder.total() >= 3000);
            await("everything committed", Duration.ofSeconds(20), () -> totalLag(lag, "g-orders", "orders") == 0);
            assertEquals(List.of(0, 1, 2), consumer.status().partitions());
            assertEquals(TriggerConsumer.RUNNING, consumer.status().state());
            assertEquals(3000, consumer.status().events());
        }
        assertEquals(List.of(), recorder.violations);
        assertEquals(3000, recorder.total(), "each event once: no hand-over, no crash");
        assertInOrderOnce(recorder, 3, 1000);
    }

    @Test
    void batchesHoldUpToTheirSizeAndTheWindowWaitsForMore() throws Exception {
        createTopic("clicks", 1);
        Recorder recorder = new Recorder();
        try (TriggerConsumer consumer = new TriggerConsumer("clicks", settings("clicks", "g-clicks", 10, 1_000), recorder)) {
            await("assigned", Duration.ofSeconds(30), () -> !consumer.status().partitions().isEmpty());
            produce("clicks", 1, 25);
            await("25 events handled", Duration.ofSeconds(30), () -> recorder.total() == 25);
            assertEquals(List.of(10, 10, 5), recorder.batchSizes, "two full batches, then the rest after the window");
            producer.send(new ProducerRecord<>("clicks", 0, null, "p0-late".getBytes(UTF_8))).get(60, TimeUnit.SECONDS);
            long start = System.nanoTime();
            await("the late one", Duration.ofSeconds(10), () -> recorder.total() == 26);
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= 900, "a lone event waits for the window of 1 s to fill its batch (waited " + waitedMs + " ms)");
        }
        assertEquals(List.of(), recorder.violations);
    }

    @Test
    void partitionsHandedOverBetweenTwoConsumersNeverRunTwiceAtOnceAndStayInOrder() throws Exception {
        createTopic("handover", 4);
        produce("handover", 4, 1000);
        Recorder recorder = new Recorder();
        recorder.delayMs = 20; // 200 batches of 5 per partition: about 4 s, so the hand-overs happen mid-stream
        try (ConsumerLag lag = new ConsumerLag(kafka.bootstrap())) {
            TriggerConsumer first = new TriggerConsumer("handover-1", settings("handover", "g-handover", 5, 0), recorder);
            await("first consumer working", Duration.ofSeconds(30), () -> recorder.total() > 50);
            TriggerConsumer second = new TriggerConsumer("handover-2", settings("handover", "g-handover", 5, 0), recorder);
            await("partitions shared", Duration.ofSeconds(30), () -> !second.status().partitions().isEmpty());
            assertEquals(4, first.status().partitions().size() + second.status().partitions().size());
            first.close(); // a clean stop: its partitions move to the second consumer after their lanes stopped
            await("every partition on the second", Duration.ofSeconds(30),
                    () -> second.status().partitions().equals(List.of(0, 1, 2, 3)));
            await("every event handled", Duration.ofSeconds(90), () -> totalLag(lag, "g-handover", "handover") == 0);
            second.close();
        }
        assertEquals(List.of(), recorder.violations);
        assertInOrderOnce(recorder, 4, 1000);
        assertTrue(recorder.consumers.values().stream().anyMatch(names -> names.size() >= 2),
                "some partition was handed over mid-stream: " + recorder.consumers);
        // A clean hand-over commits what was handled: nothing runs twice.
        assertEquals(4000, recorder.total());
    }

    @Test
    void aMissingTopicIsAnErrorUntilItExistsAndIsNeverCreatedByTheConsumer() throws Exception {
        Recorder recorder = new Recorder();
        try (TriggerConsumer consumer = new TriggerConsumer("later", settings("later", "g-later", 1, 0), recorder)) {
            await("the error", Duration.ofSeconds(30), () -> TriggerConsumer.ERROR.equals(consumer.status().state()));
            assertEquals("topic 'later' does not exist on " + kafka.bootstrap(), consumer.status().error());
            Thread.sleep(1500);
            assertTrue(!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains("later"),
                    "the broker creates topics on first use, but the consumer must not ask it to");
            createTopic("later", 2);
            produce("later", 2, 10);
            await("handled once the topic exists", Duration.ofSeconds(60), () -> recorder.total() == 20);
            assertEquals(TriggerConsumer.RUNNING, consumer.status().state());
            assertEquals("topic 'later' does not exist on " + kafka.bootstrap(), consumer.status().lastError());
        }
    }

    @Test
    void anUnreachableBrokerIsAnErrorAndTheLagSaysSoToo() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String nowhere = "127.0.0.1:" + closedPort;
        TriggerConsumer.Settings settings = new TriggerConsumer.Settings(nowhere, "t", "g-nowhere", "c",
                TriggerSpec.Start.LATEST, 1, 0);
        try (TriggerConsumer consumer = new TriggerConsumer("nowhere", settings, new Recorder());
             ConsumerLag lag = new ConsumerLag(nowhere)) {
            await("the error", Duration.ofSeconds(40), () -> TriggerConsumer.ERROR.equals(consumer.status().state()));
            assertEquals("cannot reach Kafka at " + nowhere + " (no answer within 10 s)", consumer.status().error());
            ConsumerLag.UnavailableException e = org.junit.jupiter.api.Assertions.assertThrows(
                    ConsumerLag.UnavailableException.class, () -> lag.of("g-nowhere", "t", TriggerSpec.Start.LATEST,
                            Duration.ofSeconds(2)));
            assertEquals("cannot reach Kafka at " + nowhere + " (no answer within 2 s)", e.getMessage());
        }
    }
}
