package dev.thaw.events;

import dev.thaw.protocol.TriggerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * How far a consumer group is behind on a topic, per partition, from Kafka's Admin API: the
 * partition's end offset minus the group's committed offset. A partition the group never
 * committed counts from where the group will start ({@code earliest}: the oldest record
 * kept; {@code latest}: nothing behind). One Admin client per cluster, reused.
 */
public final class ConsumerLag implements AutoCloseable {
    private final String bootstrap;
    private final Admin admin;

    /** One partition's position. {@code committed} is -1 when the group never committed there. */
    public record PartitionLag(int partition, long end, long committed, long lag) {}

    /** The cluster could not say (unreachable, the topic missing, refused): the message says which. */
    public static final class UnavailableException extends Exception {
        private static final long serialVersionUID = 1L;

        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public ConsumerLag(String bootstrap) {
        this.bootstrap = bootstrap;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "thaw-trigger-lag");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 10_000);
        this.admin = Admin.create(p);
    }

    /** The lag of {@code group} on every partition of {@code topic}, by partition; waits at most {@code timeout}. */
    public List<PartitionLag> of(String group, String topic, TriggerSpec.Start start, Duration timeout)
            throws UnavailableException {
        long until = System.nanoTime() + timeout.toNanos();
        try {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(left(until), TimeUnit.NANOSECONDS).get(topic);
            List<TopicPartition> partitions = description.partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all();
            var committedFuture = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata();
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = ends.get(left(until), TimeUnit.NANOSECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = committedFuture.get(left(until), TimeUnit.NANOSECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> beginning = Map.of();
            if (start == TriggerSpec.Start.EARLIEST && partitions.stream().anyMatch(tp -> committed.get(tp) == null)) {
                Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
                partitions.forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
                beginning = admin.listOffsets(earliest).all().get(left(until), TimeUnit.NANOSECONDS);
            }
            List<PartitionLag> lags = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                long endOffset = end.get(tp).offset();
                OffsetAndMetadata c = committed.get(tp);
                long from = c != null ? c.offset()
                        : start == TriggerSpec.Start.EARLIEST ? beginning.get(tp).offset() : endOffset;
                lags.add(new PartitionLag(tp.partition(), endOffset, c == null ? -1 : c.offset(), Math.max(0, endOffset - from)));
            }
            lags.sort(Comparator.comparingInt(PartitionLag::partition));
            return lags;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof UnknownTopicOrPartitionException) {
                throw new UnavailableException("topic '" + topic + "' does not exist on " + bootstrap, cause);
            }
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable(timeout, cause);
            }
            throw new UnavailableException("Kafka at " + bootstrap + " cannot tell the lag of group '" + group + "' on '"
                    + topic + "': " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw unreachable(timeout, e);
        } catch (KafkaException e) {
            throw new UnavailableException("Kafka at " + bootstrap + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted while asking Kafka at " + bootstrap, e);
        }
    }

    /**
     * Lag per partition of {@code topic} for {@code group}, a partition never committed counting
     * whole (the async invocations' group starts at the earliest); IllegalStateException when
     * Kafka does not answer within 5 s. The autoscaler's signal.
     */
    public Map<Integer, Long> of(String group, String topic) {
        try {
            Map<Integer, Long> lag = new HashMap<>();
            for (PartitionLag p : of(group, topic, TriggerSpec.Start.EARLIEST, Duration.ofSeconds(5))) {
                lag.put(p.partition(), p.lag());
            }
            return lag;
        } catch (UnavailableException e) {
            throw new IllegalStateException("cannot read the lag of " + group + " on " + topic + ": " + e.getMessage(), e);
        }
    }

    private UnavailableException unreachable(Duration timeout, Throwable cause) {
        return new UnavailableException("cannot reach Kafka at " + bootstrap + " (no answer within "
                + Math.max(1, timeout.toSeconds()) + " s)", cause);
    }

    private static long left(long until) {
        return Math.max(0, until - System.nanoTime());
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
