package dev.thaw.gatling;

import io.gatling.commons.stats.KO$;
import io.gatling.commons.stats.OK$;
import io.gatling.commons.stats.Status;
import io.gatling.commons.util.Clock;
import io.gatling.core.action.Action;
import io.gatling.core.session.Session;
import io.gatling.core.stats.StatsEngine;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import scala.Option;

/**
 * A Gatling action that is one request from producing an event to a trigger's topic to
 * reading its result from the trigger's output topic ({@link TriggerResults}), so Gatling's
 * report and assertions see produce-to-result latency as a response time. Each event has a
 * key of its own, which its result keeps. A request fails (KO, with the reason) when the
 * producer cannot send the event, no result comes within the timeout, or the result's value
 * is not what {@code check} accepts. The virtual user goes on when the request ends, on its
 * own event loop, as Gatling's HTTP requests do.
 *
 * <p>Gatling's Java DSL has no custom-action API of its own: this implements the Scala
 * {@code ActionBuilder} and {@code Action} traits, as Gatling's own protocols do.
 */
final class KafkaRoundTrip implements io.gatling.javaapi.core.ActionBuilder {
    private final String requestName;
    private final KafkaProducer<String, String> producer;
    private final String topic;
    private final TriggerResults results;
    private final Duration timeout;
    private final BiFunction<String, String, String> check;
    private final String keyPrefix;
    private final AtomicLong sequence = new AtomicLong();

    /**
     * @param check given an event's key and its result's value, null when the value is right,
     *     else what is wrong with it
     */
    KafkaRoundTrip(String requestName, KafkaProducer<String, String> producer, String topic, TriggerResults results,
            Duration timeout, String keyPrefix, BiFunction<String, String, String> check) {
        this.requestName = requestName;
        this.producer = producer;
        this.topic = topic;
        this.results = results;
        this.timeout = timeout;
        this.keyPrefix = keyPrefix;
        this.check = check;
    }

    @Override
    public io.gatling.core.action.builder.ActionBuilder asScala() {
        return (context, next) -> new RoundTrip(context.coreComponents().statsEngine(), context.coreComponents().clock(), next);
    }

    private final class RoundTrip implements Action {
        private final StatsEngine stats;
        private final Clock clock;
        private final Action next;
        private com.typesafe.scalalogging.Logger logger = com.typesafe.scalalogging.Logger.apply(KafkaRoundTrip.class);

        RoundTrip(StatsEngine stats, Clock clock, Action next) {
            this.stats = stats;
            this.clock = clock;
            this.next = next;
        }

        @Override
        public String name() {
            return requestName;
        }

        @Override
        public void execute(Session session) {
            long n = sequence.incrementAndGet();
            String key = keyPrefix + n;
            String value = "{\"n\": " + n + "}";
            var result = results.expect(key).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
            long startMillis = clock.nowMillis();
            long startNanos = System.nanoTime();
            result.whenComplete((r, failure) -> {
                String error;
                long endMillis;
                if (failure != null) {
                    endMillis = clock.nowMillis();
                    error = failure instanceof java.util.concurrent.TimeoutException
                            ? "no result within " + timeout.toMillis() + " ms" : String.valueOf(failure.getMessage());
                } else {
                    endMillis = startMillis + TimeUnit.NANOSECONDS.toMillis(r.readAtNanos() - startNanos);
                    error = check.apply(key, r.value());
                }
                end(session, startMillis, endMillis, error);
            });
            try {
                producer.send(new ProducerRecord<>(topic, key, value), (metadata, e) -> {
                    if (e != null) {
                        result.completeExceptionally(new IllegalStateException("producing to " + topic + " failed: " + e, e));
                    }
                });
            } catch (RuntimeException e) {
                result.completeExceptionally(new IllegalStateException("producing to " + topic + " failed: " + e, e));
            }
        }

        private void end(Session session, long startMillis, long endMillis, String error) {
            Status status = error == null ? OK$.MODULE$ : KO$.MODULE$;
            stats.logResponse(session.scenario(), session.groups(), requestName, startMillis, endMillis, status,
                    Option.empty(), Option.apply(error));
            // the enclosing groups' response time (what assertions on a group judge) is the sum
            // of their requests' times, which each request adds itself, as Gatling's HTTP ones do
            Session timed = session.logGroupRequestTimings(startMillis, endMillis);
            Session after = error == null ? timed : timed.markAsFailed();
            session.eventLoop().execute(() -> next.$bang(after));
        }

        @Override
        public com.typesafe.scalalogging.Logger logger() {
            return logger;
        }

        @Override
        public void com$typesafe$scalalogging$StrictLogging$_setter_$logger_$eq(com.typesafe.scalalogging.Logger logger) {
            this.logger = logger;
        }
    }
}
