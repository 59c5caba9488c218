package dev.thaw.gateway.invoke;

import dev.thaw.protocol.AsyncInvocation;

/**
 * Where accepted async invocations wait to run: Kafka ({@link KafkaAsyncQueue}; invokers
 * consume it), or the embedded platform's local journal. Either way an invocation is stored
 * durably before {@link #accept} returns, so a 202 is never given for work that could be lost.
 */
public interface AsyncQueue extends AutoCloseable {
    /** Stores the invocation; when this returns, it will run. Throws {@link UnavailableException} when it cannot. */
    void accept(AsyncInvocation invocation);

    @Override
    void close();

    /** The invocation was not stored: the caller gets 503. */
    final class UnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A cluster gateway without Kafka: async invocations are refused, never kept where a crash loses them. */
    AsyncQueue NONE = new AsyncQueue() {
        @Override
        public void accept(AsyncInvocation invocation) {
            throw new UnavailableException("async invocations need Kafka: this gateway has no thaw.kafka.bootstrap", null);
        }

        @Override
        public void close() {}
    };
}
