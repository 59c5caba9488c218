package dev.thaw.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.thaw.protocol.AsyncInvocation;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/ validated offline (no cluster runs here): kubectl kustomize renders deploy/k8s;
 * every Kubernetes object parses with fabric8's model with no unknown field; the KEDA and
 * Strimzi objects have only the fields their projects publish; the pieces that must agree
 * (topics, partitions, the autoscaler's bounds, service names, secret keys) agree; and the
 * systemd units pass systemd-analyze. DeployMetricsIT checks the queries against a gateway.
 */
class DeployManifestsTest {
    static final Path ROOT = Path.of(System.getProperty("thaw.root", "..")).toAbsolutePath().normalize();
    static final Path K8S = ROOT.resolve("deploy/k8s");

    private static List<JsonNode> rendered;
    private static final Map<String, HasMetadata> typed = new LinkedHashMap<>();

    @BeforeAll
    static void render() throws Exception {
        rendered = Kustomize.render(K8S);
        for (JsonNode doc : rendered) {
            if (!CustomResourceShapes.isCustom(doc.path("apiVersion").asText())) {
                HasMetadata object = StrictModel.parse(doc);
                typed.put(object.getKind() + "/" + object.getMetadata().getName(), object);
            }
        }
    }

    private static JsonNode custom(String kind, String name) {
        return rendered.stream().filter(d -> d.path("kind").asText().equals(kind)
                && d.path("metadata").path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("deploy/k8s renders no " + kind + "/" + name));
    }

    @SuppressWarnings("unchecked")
    private static <T extends HasMetadata> T object(Class<T> type, String name) {
        HasMetadata o = typed.get(type.getSimpleName() + "/" + name);
        assertTrue(type.isInstance(o), "deploy/k8s renders no " + type.getSimpleName() + "/" + name + "; it has " + typed.keySet());
        return (T) o;
    }

    private static Container container(PodSpec pod, String name) {
        return pod.getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }

    private static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElseThrow(() -> new AssertionError("container " + c.getName() + " sets no " + name));
    }

    private static String arg(Container c, String option) {
        return c.getArgs().stream().filter(a -> a.startsWith(option + "=")).map(a -> a.substring(option.length() + 1))
                .findFirst().orElseThrow(() -> new AssertionError("container " + c.getName() + " has no " + option + "=..."));
    }

    @Test
    void everyCustomResourceHasOnlyThePublishedFields() {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (JsonNode doc : rendered) {
            String apiVersion = doc.path("apiVersion").asText();
            if (CustomResourceShapes.isCustom(apiVersion)) {
                String kind = doc.path("kind").asText();
                Shape shape = CustomResourceShapes.of(apiVersion, kind).orElseThrow(() -> new AssertionError(
                        apiVersion + " " + kind + " is not a custom resource this test knows the fields of"));
                problems.addAll(shape.problems(doc, kind + "/" + doc.path("metadata").path("name").asText()));
                checked++;
            }
        }
        assertEquals(List.of(), problems);
        assertEquals(5, checked, "a ScaledObject, a Kafka, a KafkaNodePool and two KafkaTopics");
    }

    @Test
    void everyObjectLivesInTheThawNamespaceAndEveryImageIsPinned() {
        for (HasMetadata o : typed.values()) {
            if (!o.getKind().equals("Namespace")) {
                assertEquals("thaw", o.getMetadata().getNamespace(), o.getKind() + "/" + o.getMetadata().getName());
            }
        }
        for (JsonNode doc : rendered) {
            assertEquals("thaw", doc.path("metadata").path("namespace").asText(doc.path("kind").asText().equals("Namespace")
                    ? "thaw" : ""), doc.path("kind").asText());
        }
        List<PodSpec> pods = new ArrayList<>();
        typed.values().stream().filter(Deployment.class::isInstance).map(d -> ((Deployment) d).getSpec().getTemplate().getSpec())
                .forEach(pods::add);
        typed.values().stream().filter(StatefulSet.class::isInstance).map(s -> ((StatefulSet) s).getSpec().getTemplate().getSpec())
                .forEach(pods::add);
        assertEquals(4, pods.size(), "gateway, invoker, prometheus, redis");
        for (PodSpec pod : pods) {
            for (Container c : Stream.concat(pod.getContainers().stream(), pod.getInitContainers().stream()).toList()) {
                // kustomization.yaml's images: rewrites every image to registry/name:tag; one it misses keeps its bare name.
                String image = c.getImage();
                assertTrue(image.matches("[a-z0-9.-]+\\.[a-z]+(:\\d+)?/[a-z0-9/._-]+:[A-Za-z0-9._-]+"),
                        c.getName() + ": image " + image + " is not a registry/name:tag set by kustomization.yaml's images:");
                assertFalse(Boolean.TRUE.equals(c.getSecurityContext().getAllowPrivilegeEscalation()), c.getName());
                assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem(), c.getName());
                assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop(), c.getName());
            }
        }
    }

    @Test
    void theGatewayIsProbedOnQuarkusHealthAndTheInvokerGetsKvm() {
        Container gateway = container(object(Deployment.class, "thaw-gateway").getSpec().getTemplate().getSpec(), "gateway");
        assertEquals("/q/health/live", gateway.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/q/health/ready", gateway.getReadinessProbe().getHttpGet().getPath());
        assertEquals("0.0.0.0", env(gateway, "QUARKUS_HTTP_HOST"), "the gateway must listen beyond loopback in a pod");

        PodSpec invokerPod = object(Deployment.class, "thaw-invoker").getSpec().getTemplate().getSpec();
        Container invoker = container(invokerPod, "invoker");
        for (Probe probe : List.of(invoker.getLivenessProbe(), invoker.getReadinessProbe(), invoker.getStartupProbe())) {
            assertEquals("/v1/health", probe.getHttpGet().getPath());
        }
        // The device plugin's resource: the scheduler places invokers where /dev/kvm is, and the runtime exposes it.
        assertEquals(new Quantity("1"), invoker.getResources().getLimits().get("devices.kubevirt.io/kvm"));
        assertEquals(new Quantity("1"), invoker.getResources().getRequests().get("devices.kubevirt.io/kvm"));
        assertFalse(Boolean.TRUE.equals(invoker.getSecurityContext().getPrivileged()), "an invoker needs /dev/kvm, not privileges");
    }

    @Test
    void kafkaTopicsPartitionsAndTheScalersAgreeWithThePlatform() {
        JsonNode kafka = custom("Kafka", "thaw");
        String bootstrap = kafka.path("metadata").path("name").asText() + "-kafka-bootstrap";
        int plainPort = kafka.path("spec").path("kafka").path("listeners").get(0).path("port").asInt();
        for (String pool : List.of("dual-role")) {
            assertEquals("thaw", custom("KafkaNodePool", pool).path("metadata").path("labels").path("strimzi.io/cluster").asText());
        }
        JsonNode invocations = custom("KafkaTopic", "thaw-invocations");
        assertEquals(AsyncInvocation.TOPIC, invocations.path("spec").path("topicName").asText());
        assertEquals(AsyncInvocation.DEAD_LETTER_TOPIC, custom("KafkaTopic", "thaw-invocations-dlq").path("spec").path("topicName").asText());
        String partitions = invocations.path("spec").path("partitions").asText();

        Container gateway = container(object(Deployment.class, "thaw-gateway").getSpec().getTemplate().getSpec(), "gateway");
        Container invoker = container(object(Deployment.class, "thaw-invoker").getSpec().getTemplate().getSpec(), "invoker");
        assertEquals(bootstrap + ":" + plainPort, env(gateway, "THAW_KAFKA_BOOTSTRAP"));
        assertEquals(bootstrap + ":" + plainPort, arg(invoker, "--kafka-bootstrap"));
        assertEquals(partitions, env(gateway, "THAW_KAFKA_PARTITIONS"), "the gateway would create the topic with another count");
        assertEquals(partitions, arg(invoker, "--kafka-partitions"), "the invoker would create the topic with another count");

        JsonNode scaled = custom("ScaledObject", "thaw-invoker").path("spec");
        assertEquals("thaw-invoker", scaled.path("scaleTargetRef").path("name").asText());
        object(Deployment.class, scaled.path("scaleTargetRef").path("name").asText());
        assertEquals(env(gateway, "THAW_AUTOSCALER_MIN_INVOKERS"), scaled.path("minReplicaCount").asText());
        assertEquals(env(gateway, "THAW_AUTOSCALER_MAX_INVOKERS"), scaled.path("maxReplicaCount").asText());
        Map<String, JsonNode> triggers = new LinkedHashMap<>();
        scaled.path("triggers").forEach(t -> triggers.put(t.path("type").asText(), t.path("metadata")));
        assertEquals(Set.of("prometheus", "kafka"), triggers.keySet());

        JsonNode lag = triggers.get("kafka");
        assertEquals(AsyncInvocation.TOPIC, lag.path("topic").asText());
        assertEquals(AsyncInvocation.CONSUMER_GROUP, lag.path("consumerGroup").asText());
        assertEquals(bootstrap + ".thaw.svc:" + plainPort, lag.path("bootstrapServers").asText(), "KEDA runs in its own namespace");
        assertEquals(env(gateway, "THAW_AUTOSCALER_LAG_PER_INVOKER"), lag.path("lagThreshold").asText(),
                "the two triggers would disagree on the lag's share of an invoker");

        // KEDA reaches Prometheus through its Service, by its fully qualified name.
        String server = triggers.get("prometheus").path("serverAddress").asText();
        Service prometheus = object(Service.class, "thaw-prometheus");
        assertEquals("http://thaw-prometheus.thaw.svc:" + prometheus.getSpec().getPorts().getFirst().getPort(), server);
        assertEquals("1", triggers.get("prometheus").path("threshold").asText(),
                "thaw_desired_invokers is a count of invokers: one replica per unit");
    }

    @Test
    void theDashboardAndTheScalerQueryThePlatformsMetrics() throws Exception {
        // Which series they read; QueriedMetrics (in AsyncDurabilityIT) checks them against a running gateway.
        Map<String, PromQl.Reads> queries = Queries.of(K8S.resolve("grafana/thaw-dashboard.json"), rendered);
        Set<String> metrics = new TreeSet<>();
        queries.values().forEach(r -> r.selectors().forEach(s -> metrics.add(s.metric())));
        assertEquals(new TreeSet<>(Set.of("thaw_invocations_total", "thaw_invocation_seconds_bucket", "thaw_invocation_seconds_sum",
                "thaw_invocation_seconds_count", "thaw_snapshot_build_seconds_bucket", "thaw_snapshot_build_seconds_count",
                "thaw_invokers", "thaw_desired_invokers", "thaw_invoker_demand", "thaw_kafka_lag", "thaw_autoscaler_panic")), metrics);
        assertEquals(Set.of(new PromQl.Selector("thaw_desired_invokers", Set.of())),
                Set.copyOf(queries.get("ScaledObject thaw-invoker trigger desired-invokers").selectors()));
        assertEquals(Set.of(new PromQl.Selector("thaw_invocations_total", Set.of("function"))),
                Set.copyOf(queries.get("dashboard variable $function").selectors()));
    }

    @Test
    void everySecretKeyTheManifestsReadIsCreatedByTheStepsInDeployMd() throws Exception {
        Set<String> keys = new TreeSet<>();
        for (HasMetadata o : typed.values()) {
            PodSpec pod = o instanceof Deployment d ? d.getSpec().getTemplate().getSpec()
                    : o instanceof StatefulSet s ? s.getSpec().getTemplate().getSpec() : null;
            if (pod == null) {
                continue;
            }
            for (Container c : Stream.concat(pod.getContainers().stream(), pod.getInitContainers().stream()).toList()) {
                for (EnvVar e : c.getEnv()) {
                    if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                        assertEquals("thaw-secrets", e.getValueFrom().getSecretKeyRef().getName(), c.getName() + " " + e.getName());
                        keys.add(e.getValueFrom().getSecretKeyRef().getKey());
                    }
                }
            }
        }
        assertEquals(Set.of("admin-token", "cluster-secret", "redis-password", "redis-uri"), keys);
        String guide = Files.readString(ROOT.resolve("docs/DEPLOY.md"));
        for (String key : keys) {
            assertTrue(guide.contains("--from-literal=" + key + "="), "docs/DEPLOY.md does not create the secret key " + key);
        }
    }

    @Test
    void theSystemdUnitsPassSystemdAnalyze() throws Exception {
        try (SystemdUnits units = new SystemdUnits(ROOT.resolve("deploy/systemd"))) {
            assertEquals(List.of("thaw-gateway.service", "thaw-invoker.service"), units.units());
            assertEquals("", units.verify());
            // Exposure scores (0 safest, 10 none) as systemd-analyze security rates the sandboxing; the
            // invoker's is higher for /dev/kvm and the namespaces its compile sandbox creates.
            units.security("thaw-gateway.service", 2.0);
            units.security("thaw-invoker.service", 3.0);
        }
    }

    // The checks themselves fail on what they are meant to catch.

    @Test
    void aMisspeltKubernetesFieldFails() throws Exception {
        JsonNode doc = Kustomize.parse("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: c
                          image: i
                          readynessProbe: {httpGet: {path: /, port: 80}}
                """).getFirst();
        AssertionError e = assertThrows(AssertionError.class, () -> StrictModel.parse(doc));
        assertTrue(e.getMessage().contains("Deployment/x.spec.template.spec.containers[0].readynessProbe"), e.getMessage());

        JsonNode kind = Kustomize.parse("{apiVersion: apps/v1, kind: Deploymnet, metadata: {name: x}}").getFirst();
        assertThrows(AssertionError.class, () -> StrictModel.parse(kind));
    }

    @Test
    void aMisspeltOrMistypedKedaFieldFails() throws Exception {
        JsonNode doc = Kustomize.parse("""
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: x}
                spec:
                  scaleTargetRef: {name: x}
                  maxReplicas: 3
                  advanced:
                    horizontalPodAutoscalerConfig:
                      behavior: {scaleDown: {stabilisationWindowSeconds: 60}}
                  triggers:
                    - type: prometheus
                      metadata: {serverAddress: "http://p:9090", query: "max(x)", threshold: 1}
                    - type: kafka
                      metadata: {bootstrapServers: "k:9092", consumerGroup: g, lagTreshold: "5"}
                """).getFirst();
        List<String> problems = CustomResourceShapes.of("keda.sh/v1alpha1", "ScaledObject").orElseThrow().problems(doc, "so");
        assertEquals(4, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("so.spec.maxReplicas: no such field"), problems.toString());
        assertTrue(problems.get(1).contains("stabilisationWindowSeconds"), problems.toString());
        assertTrue(problems.get(2).startsWith("so.spec.triggers[0].metadata.threshold: a string expected"), problems.toString());
        assertTrue(problems.get(3).startsWith("so.spec.triggers[1].metadata.lagTreshold: no such parameter"), problems.toString());
    }

    @Test
    void aMisspeltSystemdDirectiveFails(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.service"), """
                [Service]
                ExecStart=/opt/thaw/jdk/bin/java -version
                DevicAllow=/dev/kvm rw
                RestrictNamespaces=user bogus
                """);
        try (SystemdUnits units = new SystemdUnits(dir)) {
            String said = units.verify();
            assertTrue(said.contains("Unknown key 'DevicAllow'") && said.contains("user bogus"), said);
        }
    }
}
