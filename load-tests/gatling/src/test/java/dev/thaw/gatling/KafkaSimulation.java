package dev.thaw.gatling;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka: events produced at a constant rate (an open model) to a topic with a Kafka trigger
 * on it (docs/EVENTS.md): {@code hello}, batch size 1, its output to a second topic. Each
 * event's request ({@link KafkaRoundTrip}) lasts from producing it to reading its result from
 * the output topic (matched by key, its value checked to be hello's greeting of that event),
 * so the group "produce to result" is the latency a consumer of the output sees: the
 * producer's send, the trigger's fetch, the invocation, the output's produce ({@code acks=all})
 * and this consumer's fetch. After a warm-up (group "warm-up").
 *
 * <p>Starts the platform with a broker of its own ({@code ./fn up --kafka}); with
 * {@code FN_GATEWAY} it needs {@code FN_KAFKA_BOOTSTRAP}, the broker the platform's triggers
 * read (the trigger is created without {@code bootstrap}, so on the platform's Kafka, or with
 * {@code FN_KAFKA_BOOTSTRAP} when the platform has none). Its two topics (3 partitions each)
 * and its trigger are named after the run and deleted at the end. Defaults: 50 events/s.
 * Verdict: no failed request (every result read, right, within 30 s), p99 under 5 s.
 */
public class KafkaSimulation extends Simulation {
    private static final double EVENTS_PER_SECOND = 50;
    private static final int PARTITIONS = 3;
    /**
     * The verdict's bound. Loose: each partition runs one event at a time and waits for its
     * output's {@code acks=all} before the next, on a machine whose 2 cores are shared with
     * other work (./bench kafka measured p99 1.4 s at 200 events/s there, p50 68 ms).
     */
    private static final int P99_BOUND_MS = 5000;
    /** How long an event may wait for its result before its request fails. */
    private static final Duration RESULT_TIMEOUT = Duration.ofSeconds(30);
    /** How long the trigger's consumer may take to start after its creation (checked every 2 s by invokers). */
    private static final Duration TRIGGER_START_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([a-z]+)\"");

    private final Platform platform = Platform.startOrConnectWithKafka();
    private final String run = Long.toString(System.currentTimeMillis(), 36);
    private final String trigger = "gatling-" + run;
    private final String events = "thaw-gatling-" + run + "-events";
    private final String outputs = "thaw-gatling-" + run + "-results";
    private final Admin admin;
    private final KafkaProducer<String, String> producer;
    private final TriggerResults results;

    {
        Load load = Load.fromEnvironment();
        String bootstrap = platform.kafkaBootstrap();
        platform.deployExample("hello");
        admin = Admin.create(java.util.Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        createTopics(bootstrap);
        createTrigger(bootstrap);
        awaitRunning();
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.LINGER_MS_CONFIG, "0"); // each event on its way at once: it is being timed
        producer = new KafkaProducer<>(config);
        results = new TriggerResults(bootstrap, outputs, PARTITIONS);
        double rate = load.rate(EVENTS_PER_SECOND);

        // hello's answer to a batch of one event: its JSON (cut at 255 bytes), with the event's key
        String greeting = "Hello, [{\"topic\":\"" + events + "\"";
        KafkaRoundTrip measured = new KafkaRoundTrip("event to output record", producer, events, results,
                RESULT_TIMEOUT, run + "-", (key, value) -> value.startsWith(greeting) && value.contains("\"key\":\"" + key + "\"")
                        ? null : "a result is not hello's greeting of its event: " + abbreviate(value));
        KafkaRoundTrip warmUp = new KafkaRoundTrip("warm-up event", producer, events, results,
                RESULT_TIMEOUT, run + "-w", (key, value) -> value.startsWith(greeting) ? null : "not hello's greeting: " + abbreviate(value));
        ScenarioBuilder warmUpEvents = scenario("warm-up kafka").group("warm-up").on(exec(warmUp));
        ScenarioBuilder measuredEvents = scenario("kafka").group("produce to result").on(exec(measured));

        setUp(warmUpEvents.injectOpen(constantUsersPerSec(rate).during(load.warmUp()))
                .andThen(measuredEvents.injectOpen(constantUsersPerSec(rate).during(load.main()))))
                .assertions(load.verdict(List.of(global().failedRequests().percent().is(0.0)),
                        List.of(details("produce to result").responseTime().percentile(99).lt(P99_BOUND_MS))));
    }

    private void createTopics(String bootstrap) {
        try {
            admin.createTopics(List.of(new NewTopic(events, Optional.of(PARTITIONS), Optional.empty()),
                    new NewTopic(outputs, Optional.of(PARTITIONS), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("creating topics " + events + " and " + outputs + " on " + bootstrap + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /**
     * Creates the trigger on the platform's Kafka; a platform with none answers 400 on the field
     * {@code bootstrap} (docs/API.md), and then it is created on {@code bootstrap} instead.
     */
    private void createTrigger(String bootstrap) {
        String fields = "\"name\": \"" + trigger + "\", \"function\": \"hello\", \"topic\": \"" + events + "\", "
                + "\"batch_size\": 1, \"batch_window_ms\": 0, \"start\": \"earliest\", \"to\": \"" + outputs + "\"";
        var answer = platform.createTrigger("{" + fields + "}");
        if (answer.statusCode() == 400 && answer.body().matches("(?s).*\"field\"\\s*:\\s*\"bootstrap\".*")) {
            answer = platform.createTrigger("{" + fields + ", \"bootstrap\": \"" + bootstrap + "\"}");
        }
        if (answer.statusCode() != 201) {
            throw new IllegalStateException("creating trigger " + trigger + " at " + platform.url() + " answered "
                    + answer.statusCode() + ": " + answer.body());
        }
        System.out.println("thaw: trigger " + trigger + ": hello on " + events + " (" + PARTITIONS + " partitions, batch size 1) to " + outputs);
    }

    /** Waits until every invoker's consumer of the trigger runs, so the first events measure no start-up. */
    private void awaitRunning() {
        long deadline = System.nanoTime() + TRIGGER_START_TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = platform.trigger(trigger);
            int status = last.indexOf("\"status\"");
            Matcher state = STATE.matcher(last);
            if (status >= 0 && state.find(status) && state.group(1).equals("running")) {
                return;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for trigger " + trigger, e);
            }
        }
        throw new IllegalStateException("trigger " + trigger + " was not running within " + TRIGGER_START_TIMEOUT.toSeconds()
                + " s; its last status: " + last);
    }

    /** The start of a wrong result, for the KO's message: short, so that Gatling's error summary groups alike ones. */
    private static String abbreviate(String value) {
        return value.length() <= 60 ? value : value.substring(0, 60) + "...";
    }

    @Override
    public void after() {
        long unexpected = results.unexpected();
        if (unexpected > 0) {
            // duplicates come only from a redelivery (docs/EVENTS.md); none is expected in a run without crashes
            System.out.println("thaw: " + unexpected + " output records matched no waiting event (duplicates or late results)");
        }
        results.close();
        producer.close(Duration.ofSeconds(5));
        platform.deleteTrigger(trigger);
        try {
            admin.deleteTopics(List.of(events, outputs)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            System.err.println("thaw: deleting topics " + events + " and " + outputs + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
        platform.close();
    }
}
