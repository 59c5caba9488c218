package dev.thaw.events;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a consumer group is behind on a topic, per partition: the end offset minus the
 * group's committed offset (the whole partition when the group committed nothing yet). The
 * autoscaling signal, read with Kafka's Admin API; one Admin client, reused.
 */
public final class ConsumerLag implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 5;

    private final Admin admin;

    public ConsumerLag(String bootstrap) {
        this.admin = KafkaTopics.admin(bootstrap);
    }

    /** Lag per partition of {@code topic} for {@code group}; throws IllegalStateException when Kafka does not answer. */
    public Map<Integer, Long> of(String group, String topic) {
        try {
            var description = admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .get(topic);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            description.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Map<Integer, Long> lag = new HashMap<>();
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                lag.put(e.getKey().partition(), Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset())));
            }
            return lag;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the lag of " + group, e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot read the lag of " + group + " on " + topic + ": " + cause.getMessage(), cause);
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
