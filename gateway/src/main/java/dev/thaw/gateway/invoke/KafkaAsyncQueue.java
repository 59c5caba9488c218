package dev.thaw.gateway.invoke;

import dev.thaw.events.AsyncProducer;
import dev.thaw.protocol.AsyncInvocation;

/**
 * Async invocations in Kafka ({@link AsyncInvocation#TOPIC}): stored by an idempotent
 * producer with {@code acks=all} before the gateway answers 202; invokers consume them in one
 * consumer group.
 */
public final class KafkaAsyncQueue implements AsyncQueue {
    private final AsyncProducer producer;

    public KafkaAsyncQueue(String bootstrap) {
        this.producer = new AsyncProducer(bootstrap, "thaw-gateway");
    }

    @Override
    public void accept(AsyncInvocation invocation) {
        try {
            producer.send(invocation);
        } catch (AsyncProducer.NotStoredException e) {
            throw new UnavailableException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
