package dev.thaw.events;

import dev.thaw.protocol.AsyncInvocation;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** The topics Thaw itself uses, created when missing (a broker may not create topics on first use). */
public final class KafkaTopics {
    private KafkaTopics() {}

    /** Creates {@link AsyncInvocation#TOPIC} with {@code partitions} and its dead-letter topic, unless they exist. */
    public static void ensure(String bootstrap, int partitions) {
        try (Admin admin = admin(bootstrap)) {
            for (NewTopic topic : List.of(new NewTopic(AsyncInvocation.TOPIC, partitions, (short) -1),
                    new NewTopic(AsyncInvocation.DEAD_LETTER_TOPIC, 1, (short) -1))) {
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create Kafka topic " + topic.name() + " on " + bootstrap
                                + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating Kafka topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrap + " did not answer within 30 s", e);
        }
    }

    static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return Admin.create(p);
    }
}
