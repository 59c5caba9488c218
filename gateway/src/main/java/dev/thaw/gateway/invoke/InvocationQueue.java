package dev.thaw.gateway.invoke;

/**
 * Where async invocations wait for a runner. In-process today ({@link InProcessQueue}); a
 * durable, Kafka-backed queue can take its place without touching the callers.
 */
public interface InvocationQueue extends AutoCloseable {
    /** Queues a job; false when the queue is full. */
    boolean offer(Runnable job);

    /** Jobs waiting. */
    int depth();

    @Override
    void close();
}
