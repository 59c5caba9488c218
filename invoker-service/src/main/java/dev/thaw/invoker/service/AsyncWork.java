package dev.thaw.invoker.service;

import dev.thaw.events.AsyncConsumer;
import dev.thaw.events.AsyncProducer;
import dev.thaw.events.KafkaTopics;
import dev.thaw.protocol.AsyncInvocation;
import dev.thaw.registry.FunctionRegistry;
import dev.thaw.registry.InvocationStore;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * This host's share of the async invocations stored in Kafka: a consumer in the invokers'
 * group hands each to an {@link AsyncRunner}, whose dead letters go to
 * {@link AsyncInvocation#DEAD_LETTER_TOPIC} with the error in their headers.
 */
public final class AsyncWork implements AutoCloseable {
    private final AsyncProducer deadLetters;
    private final AsyncConsumer consumer;

    private AsyncWork(AsyncProducer deadLetters, AsyncConsumer consumer) {
        this.deadLetters = deadLetters;
        this.consumer = consumer;
    }

    /** Creates the topics if needed and starts consuming; the records go to {@code store}, which the caller closes. */
    public static AsyncWork start(String bootstrap, int partitions, String clientId, FunctionHost host,
                                  FunctionRegistry registry, InvocationStore store) {
        KafkaTopics.ensure(bootstrap, partitions);
        AsyncProducer producer = new AsyncProducer(bootstrap, clientId + "-dead-letters");
        AsyncRunner runner = new AsyncRunner(host, registry, store, (inv, outcome, error) ->
                producer.send(AsyncInvocation.DEAD_LETTER_TOPIC, inv, Map.of(
                        AsyncInvocation.OUTCOME, outcome.getBytes(StandardCharsets.UTF_8),
                        AsyncInvocation.ERROR, error.getBytes(StandardCharsets.UTF_8))));
        // Enough in parallel to keep every runner busy while some wait for their function's concurrency.
        AsyncConsumer consumer = new AsyncConsumer(bootstrap, clientId, runner::run, Math.max(16, 8 * host.capacity()));
        return new AsyncWork(producer, consumer);
    }

    @Override
    public void close() {
        consumer.close();
        deadLetters.close();
    }
}
