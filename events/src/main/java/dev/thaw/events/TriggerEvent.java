package dev.thaw.events;

import java.util.List;

/**
 * One Kafka record as a trigger hands it to a function: where it came from, its key, value
 * and headers (null key or value: the record had none).
 *
 * @param timestamp the record's timestamp, milliseconds since the epoch
 */
public record TriggerEvent(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                           List<Header> headers) {
    /** One record header; Kafka allows a key more than once. */
    public record Header(String key, byte[] value) {}

    public TriggerEvent {
        headers = List.copyOf(headers);
    }

    /** Roughly the memory it holds, to bound what a consumer buffers. */
    long bytes() {
        long n = 64L + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        for (Header h : headers) {
            n += 32L + h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return n;
    }

    /** "topic/partition@offset", for messages. */
    public String where() {
        return topic + "/" + partition + "@" + offset;
    }
}
