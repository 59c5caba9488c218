package dev.thaw.gatling;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The output topic of a trigger, read by a consumer on a thread of its own from its beginning:
 * each record's key is its event's (a trigger's output of a batch of one event keeps that
 * event's key, docs/EVENTS.md), so the record completes the {@link #expect expectation} of
 * that key with the time it was read. A key nobody waits for (a duplicate after a
 * redelivery) is counted, not an error here.
 */
final class TriggerResults implements AutoCloseable {
    /** A result as read: its value, and when it was read ({@link System#nanoTime}). */
    record Result(String value, long readAtNanos) {}

    private final Map<String, CompletableFuture<Result>> waiting = new ConcurrentHashMap<>();
    private final AtomicLong unexpected = new AtomicLong();
    private final KafkaConsumer<String, String> consumer;
    private final Thread reader;
    private volatile boolean closed;
    private volatile RuntimeException failure; // why the reader stopped, when it failed

    /**
     * Starts reading every partition of {@code topic} (which exists) at {@code bootstrap}.
     * No consumer group: it is assigned the partitions, so no rebalance delays the first
     * records and nothing is committed.
     */
    TriggerResults(String bootstrap, String topic, int partitions) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // answer a fetch as soon as one record is there: the wait is part of what is measured
        config.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
        consumer = new KafkaConsumer<>(config);
        List<TopicPartition> assigned = java.util.stream.IntStream.range(0, partitions)
                .mapToObj(p -> new TopicPartition(topic, p)).toList();
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);
        reader = Thread.ofPlatform().name("trigger-results-" + topic).daemon().start(this::read);
    }

    /** The result of the event of this key, when it is read; register before producing the event. */
    CompletableFuture<Result> expect(String key) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        if (failure != null) {
            result.completeExceptionally(failure);
            return result;
        }
        if (waiting.putIfAbsent(key, result) != null) {
            throw new IllegalStateException("two events with the key " + key + " wait for their results");
        }
        result.whenComplete((r, e) -> waiting.remove(key, result)); // a timeout or failure forgets it too
        return result;
    }

    /** Results read that no event waited for (duplicates, or results of events that timed out). */
    long unexpected() {
        return unexpected.get();
    }

    private void read() {
        try {
            while (!closed) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    long readAt = System.nanoTime();
                    CompletableFuture<Result> w = r.key() == null ? null : waiting.get(r.key());
                    if (w == null || !w.complete(new Result(r.value() == null ? "" : r.value(), readAt))) {
                        unexpected.incrementAndGet();
                    }
                }
            }
        } catch (WakeupException stopping) {
            // close()
        } catch (RuntimeException e) {
            // every waiter fails with the reason, rather than timing out without one
            String reason = "reading the trigger's output failed: " + e;
            failure = new IllegalStateException(reason, e);
            waiting.values().forEach(w -> w.completeExceptionally(failure));
            System.err.println("thaw: " + reason);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            reader.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
