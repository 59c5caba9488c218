package dev.thaw.events;

import dev.thaw.protocol.AsyncInvocation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Stores async invocations in Kafka: each is produced to a topic ({@link AsyncInvocation#TOPIC},
 * or the dead-letter topic) keyed by function, by an idempotent producer with {@code acks=all},
 * and {@link #send} returns only once the broker has it. A broker that does not answer within
 * {@link #SEND_TIMEOUT} makes it fail, so a gateway answers 503, not a 202 for work that was
 * not stored.
 */
public final class AsyncProducer implements AutoCloseable {
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaProducer<byte[], byte[]> producer;

    /** The broker did not take the invocation. */
    public static final class NotStoredException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotStoredException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public AsyncProducer(String bootstrap, String clientId) {
        this.producer = DurableProducer.create(bootstrap, clientId, 1, SEND_TIMEOUT, SEND_TIMEOUT, Map.of());
    }

    /** Stores {@code invocation} on {@link AsyncInvocation#TOPIC}. */
    public void send(AsyncInvocation invocation) {
        send(AsyncInvocation.TOPIC, invocation, Map.of());
    }

    /** Stores {@code invocation} on {@code topic} with {@code extraHeaders} (a dead letter's error, say). */
    public void send(String topic, AsyncInvocation invocation, Map<String, byte[]> extraHeaders) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic,
                invocation.function().getBytes(StandardCharsets.UTF_8), invocation.input());
        for (Map.Entry<String, byte[]> h : invocation.headers().entrySet()) {
            record.headers().add(h.getKey(), h.getValue());
        }
        for (Map.Entry<String, byte[]> h : extraHeaders.entrySet()) {
            record.headers().add(h.getKey(), h.getValue());
        }
        try {
            producer.send(record).get(SEND_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotStoredException("interrupted while storing the invocation in Kafka", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new NotStoredException("Kafka did not take the invocation: " + cause.getMessage(), cause);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
