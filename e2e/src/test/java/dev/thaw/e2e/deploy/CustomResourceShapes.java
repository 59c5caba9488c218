package dev.thaw.e2e.deploy;

import static dev.thaw.e2e.deploy.Shape.bool;
import static dev.thaw.e2e.deploy.Shape.byField;
import static dev.thaw.e2e.deploy.Shape.integer;
import static dev.thaw.e2e.deploy.Shape.kubernetes;
import static dev.thaw.e2e.deploy.Shape.listOf;
import static dev.thaw.e2e.deploy.Shape.object;
import static dev.thaw.e2e.deploy.Shape.oneOf;
import static dev.thaw.e2e.deploy.Shape.string;
import static dev.thaw.e2e.deploy.Shape.stringMap;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import java.util.Map;
import java.util.Optional;

/**
 * The custom resources deploy/k8s uses, by apiVersion and kind, with the fields their
 * projects publish. Where a field holds a Kubernetes type (an HPA behavior, resources), the
 * Kubernetes model checks it; where it holds a map of free names (a Kafka configuration),
 * anything goes under it. A field a newer release adds is added here with the version.
 */
public final class CustomResourceShapes {
    private CustomResourceShapes() {}

    private static Shape resource(Shape spec) {
        return object("apiVersion", string(), "kind", string(), "metadata", kubernetes(ObjectMeta.class), "spec", spec);
    }

    // KEDA 2.18: keda.sh/docs/2.18/reference/scaledobject-spec, /scalers/prometheus, /scalers/apache-kafka.
    private static final Shape KEDA_AUTHENTICATION_REF = object("name", string(),
            "kind", oneOf("TriggerAuthentication", "ClusterTriggerAuthentication"));

    private static Shape kedaTrigger(Shape metadata) {
        return object("type", string(), "name", string(), "metadata", metadata, "authenticationRef", KEDA_AUTHENTICATION_REF,
                "metricType", oneOf("AverageValue", "Value", "Utilization"), "useCachedMetrics", bool());
    }

    private static final Shape KEDA_PROMETHEUS_METADATA = stringMap("serverAddress", "query", "threshold",
            "activationThreshold", "namespace", "customHeaders", "ignoreNullValues", "queryParameters", "unsafeSsl",
            "timeout", "authModes");

    private static final Shape KEDA_KAFKA_METADATA = stringMap("bootstrapServers", "consumerGroup", "topic", "lagThreshold",
            "activationLagThreshold", "offsetResetPolicy", "allowIdleConsumers", "scaleToZeroOnInvalidOffset",
            "excludePersistentLag", "limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions", "version",
            "partitionLimitation", "sasl", "saslTokenProvider", "tls", "unsafeSsl", "awsRegion");

    static final Shape KEDA_SCALED_OBJECT = resource(object(
            "scaleTargetRef", object("apiVersion", string(), "kind", string(), "name", string(), "envSourceContainerName", string()),
            "pollingInterval", integer(),
            "cooldownPeriod", integer(),
            "initialCooldownPeriod", integer(),
            "idleReplicaCount", integer(),
            "minReplicaCount", integer(),
            "maxReplicaCount", integer(),
            "fallback", object("failureThreshold", integer(), "replicas", integer(),
                    "behavior", oneOf("static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower")),
            "advanced", object("restoreToOriginalReplicaCount", bool(),
                    "horizontalPodAutoscalerConfig", object("name", string(),
                            "behavior", kubernetes(HorizontalPodAutoscalerBehavior.class)),
                    "scalingModifiers", object("formula", string(), "target", string(), "activationTarget", string(),
                            "metricType", oneOf("AverageValue", "Value"))),
            "triggers", listOf(byField("type", Map.of(
                    "prometheus", kedaTrigger(KEDA_PROMETHEUS_METADATA),
                    "kafka", kedaTrigger(KEDA_KAFKA_METADATA))))));

    // Strimzi 1.2.0, API kafka.strimzi.io/v1 (strimzi.io/docs/operators/1.2.0/configuring: the
    // schema references of KafkaSpec, KafkaClusterSpec, GenericKafkaListener, EntityOperatorSpec,
    // KafkaNodePoolSpec, JbodStorage, PersistentClaimStorage, KafkaTopicSpec). Parts Thaw does not
    // use (authentication, templates, logging, ...) are allowed by name and not looked into.
    private static final Shape ANY = Shape.anyMap();

    private static final Shape STRIMZI_LISTENER = object("name", string(), "port", integer(),
            "type", oneOf("internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"), "tls", bool(),
            "authentication", ANY, "configuration", ANY, "networkPolicyPeers", Shape.listOf(ANY));

    static final Shape STRIMZI_KAFKA = resource(object(
            "kafka", object("version", string(), "metadataVersion", string(), "image", string(),
                    "listeners", listOf(STRIMZI_LISTENER), "config", ANY, "authorization", ANY, "rack", ANY,
                    "brokerRackInitImage", string(), "livenessProbe", ANY, "readinessProbe", ANY, "jvmOptions", ANY,
                    "jmxOptions", ANY, "resources", kubernetes(ResourceRequirements.class), "metricsConfig", ANY,
                    "logging", ANY, "template", ANY, "tieredStorage", ANY, "quotas", ANY),
            "entityOperator", object("topicOperator", object("watchedNamespace", string(), "image", string(),
                            "reconciliationIntervalMs", integer(), "resources", kubernetes(ResourceRequirements.class),
                            "livenessProbe", ANY, "readinessProbe", ANY, "jvmOptions", ANY, "logging", ANY),
                    "userOperator", ANY, "template", ANY),
            "clusterCa", ANY, "clientsCa", ANY, "cruiseControl", ANY, "kafkaExporter", ANY,
            "maintenanceTimeWindows", listOf(string())));

    private static final Shape STRIMZI_VOLUME = object("id", integer(), "type", oneOf("ephemeral", "persistent-claim"),
            "size", string(), "sizeLimit", string(), "class", string(), "selector", ANY, "deleteClaim", bool(),
            "kraftMetadata", oneOf("shared"));

    static final Shape STRIMZI_NODE_POOL = resource(object(
            "replicas", integer(),
            "roles", listOf(oneOf("controller", "broker")),
            "storage", byField("type", Map.of(
                    "jbod", object("type", string(), "volumes", listOf(STRIMZI_VOLUME)),
                    "persistent-claim", STRIMZI_VOLUME,
                    "ephemeral", STRIMZI_VOLUME)),
            "resources", kubernetes(ResourceRequirements.class),
            "jvmOptions", ANY,
            "template", ANY));

    static final Shape STRIMZI_TOPIC = resource(object("topicName", string(), "partitions", integer(), "replicas", integer(),
            "config", ANY));

    private static final Map<String, Shape> BY_TYPE = Map.of(
            "keda.sh/v1alpha1 ScaledObject", KEDA_SCALED_OBJECT,
            "kafka.strimzi.io/v1 Kafka", STRIMZI_KAFKA,
            "kafka.strimzi.io/v1 KafkaNodePool", STRIMZI_NODE_POOL,
            "kafka.strimzi.io/v1 KafkaTopic", STRIMZI_TOPIC);

    /** The shape of a custom resource of this apiVersion and kind, if deploy/k8s may use it. */
    public static Optional<Shape> of(String apiVersion, String kind) {
        return Optional.ofNullable(BY_TYPE.get(apiVersion + " " + kind));
    }

    /** Whether the apiVersion belongs to a project whose resources are checked here (and only here). */
    public static boolean isCustom(String apiVersion) {
        return apiVersion.startsWith("keda.sh/") || apiVersion.startsWith("kafka.strimzi.io/");
    }
}
