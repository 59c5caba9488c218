package dev.thaw.events;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The one producer configuration Thaw stores records with (async invocations, dead letters,
 * a trigger's outputs): idempotent, {@code acks=all}, bytes in and out, and every wait
 * bounded by the caller's delivery timeout, so that a broker that does not answer fails the
 * send instead of hanging it.
 */
final class DurableProducer {
    private DurableProducer() {}

    /**
     * @param lingerMs     how long the client may wait to batch records
     * @param delivery     the whole send, retries included
     * @param maxBlock     how long {@code send} may block for metadata or buffer space
     * @param extra        further settings of this producer's own
     */
    static KafkaProducer<byte[], byte[]> create(String bootstrap, String clientId, int lingerMs, Duration delivery,
                                                 Duration maxBlock, Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) delivery.toMillis());
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) delivery.toMillis() / 2);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) maxBlock.toMillis());
        p.putAll(extra);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
