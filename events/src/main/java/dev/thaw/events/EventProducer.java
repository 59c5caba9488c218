package dev.thaw.events;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Produces a trigger's own records (its dead letters, its sink's outputs): an idempotent
 * producer with {@code acks=all}; {@link #send} returns once the broker has the record, or
 * fails within {@link #DELIVERY_TIMEOUT}.
 */
public final class EventProducer implements AutoCloseable {
    static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaProducer<byte[], byte[]> producer;

    /** The record was not stored; the message says why (Kafka's reason). */
    public static final class NotStoredException extends Exception {
        private static final long serialVersionUID = 1L;

        NotStoredException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public EventProducer(String bootstrap, String clientId) {
        // linger 0: a partition's next batch waits for this record
        this.producer = DurableProducer.create(bootstrap, clientId, 0, DELIVERY_TIMEOUT, DELIVERY_TIMEOUT.dividedBy(3),
                Map.of(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 10_000));
    }

    /**
     * Stores one record and waits for the broker's acknowledgement. Once the record is handed
     * to the client it waits to the end even when interrupted (the interrupt is kept), so a
     * stopping consumer never leaves a record in flight behind it.
     */
    public RecordMetadata send(String topic, byte[] key, byte[] value, List<TriggerEvent.Header> headers)
            throws NotStoredException {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, value);
        for (TriggerEvent.Header h : headers) {
            record.headers().add(h.key(), h.value());
        }
        Future<RecordMetadata> sent;
        try {
            sent = producer.send(record);
        } catch (RuntimeException e) {
            throw new NotStoredException("Kafka did not take the record for " + topic + ": " + e.getMessage(), e);
        }
        boolean interrupted = false;
        try {
            long until = System.nanoTime() + DELIVERY_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(5);
            while (true) {
                try {
                    return sent.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new NotStoredException("Kafka did not store the record for " + topic + ": " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new NotStoredException("Kafka did not acknowledge the record for " + topic + " within "
                    + DELIVERY_TIMEOUT.toSeconds() + " s", e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
