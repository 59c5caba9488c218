package dev.thaw.events;

import dev.thaw.protocol.AsyncInvocation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consumes async invocations from {@link AsyncInvocation#TOPIC} in the invokers' consumer
 * group: Kafka's group protocol spreads the partitions over the invokers, with no assignment
 * of Thaw's own. Each poll's invocations run in parallel; the offsets are committed only when
 * every one of them has been handled (run and recorded), so a crash means a redelivery, never
 * a loss: at least once. While a batch runs, the consumer keeps polling with its partitions
 * paused, so a long invocation does not make it leave the group.
 */
public final class AsyncConsumer implements AutoCloseable {
    /** Handles one delivered invocation completely; an exception means "not handled": it is tried again. */
    @FunctionalInterface
    public interface Handler {
        void handle(AsyncInvocation invocation) throws Exception;
    }

    private static final System.Logger LOG = System.getLogger(AsyncConsumer.class.getName());
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration RETRY = Duration.ofMillis(500);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Handler handler;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread thread;
    private volatile boolean closed;

    /** Starts consuming; {@code parallelism} bounds the invocations of one poll. */
    public AsyncConsumer(String bootstrap, String clientId, Handler handler, int parallelism) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, AsyncInvocation.CONSUMER_GROUP);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, parallelism);
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.handler = handler;
        this.thread = Thread.ofPlatform().name("thaw-async-consumer").daemon().start(this::loop);
    }

    private void loop() {
        try {
            consumer.subscribe(List.of(AsyncInvocation.TOPIC), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    // nothing uncommitted is ours to keep: a batch commits only what it finished
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
            });
            while (!closed) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                if (!records.isEmpty()) {
                    runBatch(records);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the async invocation consumer stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Runs a poll's invocations, keeping the consumer alive meanwhile, then commits their offsets. */
    private void runBatch(ConsumerRecords<byte[], byte[]> records) {
        List<Future<?>> running = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            running.add(workers.submit(() -> handleUntilDone(r)));
            offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
                    (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        consumer.pause(consumer.assignment());
        try {
            while (!running.stream().allMatch(Future::isDone)) {
                consumer.poll(POLL); // paused: returns nothing, keeps this consumer in the group
            }
        } finally {
            consumer.resume(consumer.assignment());
        }
        if (closed) {
            return; // some were interrupted: they will be delivered again
        }
        offsets.keySet().retainAll(consumer.assignment()); // a partition moved away is the new owner's to commit
        if (!offsets.isEmpty()) {
            consumer.commitSync(offsets);
        }
    }

    private void handleUntilDone(ConsumerRecord<byte[], byte[]> r) {
        AsyncInvocation invocation;
        try {
            Map<String, byte[]> headers = new HashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), h.value());
            }
            invocation = AsyncInvocation.of(headers, r.value());
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "skipping record " + r.partition() + "@" + r.offset() + " of "
                    + r.topic() + ": " + e.getMessage());
            return;
        }
        while (!closed) {
            try {
                handler.handle(invocation);
                return;
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "async invocation " + invocation.id() + " not handled yet ("
                        + e.getMessage() + "); trying again");
                try {
                    Thread.sleep(RETRY);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        workers.shutdownNow();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
