package dev.thaw.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.thaw.events.ConsumerLag;
import dev.thaw.events.TriggerConsumer;
import dev.thaw.invoker.Engine;
import dev.thaw.invoker.service.FunctionHost;
import dev.thaw.invoker.service.TriggerHost;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.TriggerSpec;
import dev.thaw.registry.LocalFunctionRegistry;
import dev.thaw.registry.LocalTriggerRegistry;
import dev.thaw.registry.MemoryTriggerStatuses;
import dev.thaw.snapshotter.SnapshotStore;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka triggers benchmark behind docs/BENCHMARKS.md, at the level of one invoker: a
 * {@link TriggerHost} (as InvokerMain and the embedded platform run it) over the engine and a
 * single-node broker on loopback ({@code ./bench kafka} starts it), running {@code functions/hello}.
 * <ul>
 * <li>{@code kafka_events_per_s}, {@code kafka_batch_events_per_s}: events already in the
 *     topic (6 partitions), consumed by a new trigger with batch size 1, then 100: from the
 *     first event handled until the group's committed offsets reach the end (produced, run,
 *     committed), per second.</li>
 * <li>{@code kafka_p99_ms}: events produced at a steady {@value #LATENCY_RATE}/s to a trigger of
 *     batch size 1 with an output topic: the output record's timestamp minus its event's (both
 *     stamped by clients on this machine), 50th and 99th percentiles.</li>
 * </ul>
 * <pre>./bench kafka [--quick]</pre>
 */
public final class KafkaBenchmark {
    private static final int PARTITIONS = 6;
    private static final int LATENCY_RATE = 200;
    /** Kept: java.util.logging holds loggers weakly, and the Kafka clients log every setting at INFO. */
    private static final java.util.logging.Logger KAFKA_LOG = java.util.logging.Logger.getLogger("org.apache.kafka");

    private final Map<String, String> figures = new LinkedHashMap<>();
    private final boolean quick;
    private final Path root;
    private final String bootstrap;
    private Admin admin;
    private KafkaProducer<byte[], byte[]> producer;
    private LocalTriggerRegistry triggers;
    private TriggerHost triggerHost;

    private KafkaBenchmark(boolean quick, Path root, String bootstrap) {
        this.quick = quick;
        this.root = root;
        this.bootstrap = bootstrap;
    }

    public static void main(String[] args) throws Exception {
        KAFKA_LOG.setLevel(java.util.logging.Level.WARNING);
        List<String> a = Arrays.asList(args);
        int at = a.indexOf("--bootstrap");
        if (at < 0 || at + 1 >= a.size()) {
            throw new IllegalArgumentException("usage: KafkaBenchmark --bootstrap HOST:PORT [--quick]");
        }
        Path root = Path.of(System.getProperty("thaw.root", ".")).toAbsolutePath().normalize();
        new KafkaBenchmark(a.contains("--quick"), root, a.get(at + 1)).run();
        System.exit(0); // the engine's and Kafka's threads are gone; nothing to wait for
    }

    private void run() throws Exception {
        Path dir = Files.createTempDirectory("thaw-bench-kafka-");
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        pp.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        try (Engine engine = Engine.start()) {
            admin = Admin.create(ap);
            producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
            LocalFunctionRegistry functions = new LocalFunctionRegistry(dir.resolve("registry"));
            FunctionHost host = new FunctionHost(engine, new SnapshotStore(dir.resolve("snapshots")), functions,
                    dir.resolve("work"));
            byte[] bundle = bundle(root.resolve("functions/hello"));
            BuildOutcome built = host.build("hello", bundle);
            functions.deploy("hello", built.manifestJson(), bundle);
            triggers = new LocalTriggerRegistry(dir.resolve("triggers"));
            triggerHost = new TriggerHost("bench", bootstrap, triggers, new MemoryTriggerStatuses(), host, functions).start();
            figures.put("kafka_runners", Integer.toString(host.capacity()));

            figures.put("kafka_events_per_s", String.format("%.0f", throughput("one", 1, quick ? 5_000 : 30_000)));
            figures.put("kafka_batch_events_per_s", String.format("%.0f", throughput("hundred", 100, quick ? 50_000 : 300_000)));
            latency(quick ? 1_000 : 5_000);

            triggerHost.close();
            producer.close();
            admin.close();
            host.close();
        } finally {
            SnapshotStore.delete(dir);
        }
        System.out.println();
        figures.forEach((k, v) -> System.out.println(k + "=" + v));
    }

    /** Events per second of a new trigger of {@code batchSize} over {@code count} events already in its topic. */
    private double throughput(String name, int batchSize, int count) throws Exception {
        String topic = "bench-" + name;
        createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)));
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        byte[] value = "{\"user\":\"thaw\",\"action\":\"click\",\"n\":0000000}".getBytes(UTF_8);
        for (int i = 0; i < count; i++) {
            sent.add(producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null, value)));
        }
        for (Future<RecordMetadata> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
        triggers.create(new TriggerSpec(name, "hello", topic, null, TriggerSpec.defaultGroup(name), batchSize, 0,
                TriggerSpec.Start.EARLIEST, 2, null, null, Instant.now()));
        long first = 0;
        long handledAtFirst = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        try (ConsumerLag lag = new ConsumerLag(bootstrap)) {
            while (System.nanoTime() < deadline) {
                TriggerConsumer.Status s = triggerHost.status(name);
                long handled = s == null ? 0 : s.events();
                if (first == 0 && handled > 0) {
                    first = System.nanoTime();
                    handledAtFirst = handled;
                }
                if (handled >= count) {
                    long total = lag.of(TriggerSpec.defaultGroup(name), topic, TriggerSpec.Start.EARLIEST, Duration.ofSeconds(10))
                            .stream().mapToLong(ConsumerLag.PartitionLag::lag).sum();
                    if (total == 0) {
                        double seconds = (System.nanoTime() - first) / 1e9;
                        System.out.printf("batch size %d: %d events in %.2f s after the first%n", batchSize,
                                count - handledAtFirst, seconds);
                        triggers.delete(name);
                        return (count - handledAtFirst) / seconds;
                    }
                }
                Thread.sleep(first == 0 ? 20 : 5);
            }
        }
        throw new IllegalStateException("trigger " + name + " did not finish " + count + " events within 10 minutes");
    }

    /** Produce-to-output latency at a steady rate, batch size 1. */
    private void latency(int count) throws Exception {
        createTopics(List.of(new NewTopic("bench-latency", PARTITIONS, (short) 1), new NewTopic("bench-latency-out", 1, (short) 1)));
        triggers.create(new TriggerSpec("latency", "hello", "bench-latency", null, TriggerSpec.defaultGroup("latency"), 1, 0,
                TriggerSpec.Start.EARLIEST, 2, null, "bench-latency-out", Instant.now()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) { // joined and assigned every partition before the clock starts
            TriggerConsumer.Status s = triggerHost.status("latency");
            if (s != null && s.partitions().size() == PARTITIONS) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the latency trigger was not assigned its partitions within 60 s");
            }
            Thread.sleep(50);
        }
        Map<String, Long> producedAt = new HashMap<>();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        long intervalNanos = 1_000_000_000L / LATENCY_RATE;
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + i * intervalNanos;
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
            sent.add(producer.send(new ProducerRecord<>("bench-latency", i % PARTITIONS, null, ("e" + i).getBytes(UTF_8))));
        }
        for (Future<RecordMetadata> f : sent) {
            RecordMetadata m = f.get(60, TimeUnit.SECONDS);
            producedAt.put(m.partition() + "@" + m.offset(), m.timestamp());
        }
        List<Long> latencies = new ArrayList<>();
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition out = new TopicPartition("bench-latency-out", 0);
            c.assign(List.of(out));
            c.seekToBeginning(List.of(out));
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (latencies.size() < count && System.nanoTime() < until) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    String key = header(r, "thaw-source-partition") + "@" + header(r, "thaw-source-offsets").split("-")[0];
                    Long produced = producedAt.get(key);
                    if (produced != null) {
                        latencies.add(r.timestamp() - produced);
                    }
                }
            }
        }
        if (latencies.size() < count) {
            throw new IllegalStateException("only " + latencies.size() + " of " + count + " outputs arrived");
        }
        latencies.sort(null);
        figures.put("kafka_p50_ms", Long.toString(latencies.get(latencies.size() / 2)));
        figures.put("kafka_p99_ms", Long.toString(latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1)));
        figures.put("kafka_latency_rate_per_s", Integer.toString(LATENCY_RATE));
        triggers.delete("latency");
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? "" : new String(h.value(), UTF_8);
    }

    private void createTopics(List<NewTopic> topics) throws Exception {
        admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        List<String> names = topics.stream().map(NewTopic::name).toList();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                .flatMap(t -> t.partitions().stream()).allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no leaders for " + names + " within 30 s");
            }
            Thread.sleep(50);
        }
    }

    /** {@code dir}'s files as a tar.gz bundle, as {@code fn deploy} sends it. */
    private static byte[] bundle(Path dir) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes));
             var files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                byte[] content = Files.readAllBytes(f);
                TarArchiveEntry e = new TarArchiveEntry(f.getFileName().toString());
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
