package dev.thaw.e2e.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The field names (and coarse types) a custom resource's schema allows, written down from its
 * project's documentation, for the objects fabric8 has no model of (KEDA's, Strimzi's).
 * {@link #check} lists every field of a document that is not allowed where it is, with its path.
 */
@FunctionalInterface
public interface Shape {
    void check(JsonNode node, String path, List<String> problems);

    default List<String> problems(JsonNode node, String path) {
        List<String> problems = new ArrayList<>();
        check(node, path, problems);
        return problems;
    }

    /** An object with exactly these fields (each optional): pairs of name and shape. */
    static Shape object(Object... fieldsAndShapes) {
        Map<String, Shape> fields = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndShapes.length; i += 2) {
            fields.put((String) fieldsAndShapes[i], (Shape) fieldsAndShapes[i + 1]);
        }
        return (node, path, problems) -> {
            if (!node.isObject()) {
                problems.add(path + ": an object expected, found " + node.getNodeType());
                return;
            }
            node.properties().forEach(e -> {
                Shape field = fields.get(e.getKey());
                if (field == null) {
                    problems.add(path + "." + e.getKey() + ": no such field (allowed: " + fields.keySet() + ")");
                } else {
                    field.check(e.getValue(), path + "." + e.getKey(), problems);
                }
            });
        };
    }

    /** A list whose every item has the given shape. */
    static Shape listOf(Shape item) {
        return (node, path, problems) -> {
            if (!node.isArray()) {
                problems.add(path + ": a list expected, found " + node.getNodeType());
                return;
            }
            for (int i = 0; i < node.size(); i++) {
                item.check(node.get(i), path + "[" + i + "]", problems);
            }
        };
    }

    static Shape string() {
        return (node, path, problems) -> {
            if (!node.isTextual()) {
                problems.add(path + ": a string expected, found " + node.getNodeType() + " " + node);
            }
        };
    }

    static Shape integer() {
        return (node, path, problems) -> {
            if (!node.isIntegralNumber()) {
                problems.add(path + ": an integer expected, found " + node.getNodeType() + " " + node);
            }
        };
    }

    static Shape bool() {
        return (node, path, problems) -> {
            if (!node.isBoolean()) {
                problems.add(path + ": true or false expected, found " + node);
            }
        };
    }

    /** A string, one of the given values. */
    static Shape oneOf(String... values) {
        Set<String> allowed = Set.of(values);
        return (node, path, problems) -> {
            if (!node.isTextual() || !allowed.contains(node.asText())) {
                problems.add(path + ": one of " + allowed + " expected, found " + node);
            }
        };
    }

    /** A map of names to strings, only the given names (KEDA's trigger metadata: every value a string). */
    static Shape stringMap(String... names) {
        Set<String> allowed = Set.of(names);
        return (node, path, problems) -> {
            if (!node.isObject()) {
                problems.add(path + ": an object expected, found " + node.getNodeType());
                return;
            }
            node.properties().forEach(e -> {
                if (!allowed.contains(e.getKey())) {
                    problems.add(path + "." + e.getKey() + ": no such parameter (allowed: " + allowed + ")");
                } else if (!e.getValue().isTextual()) {
                    problems.add(path + "." + e.getKey() + ": a string expected (quote it), found " + e.getValue());
                }
            });
        };
    }

    /** A map whose keys are free (labels, a Kafka configuration): anything is allowed under it. */
    static Shape anyMap() {
        return (node, path, problems) -> {
            if (!node.isObject()) {
                problems.add(path + ": an object expected, found " + node.getNodeType());
            }
        };
    }

    /** A part that is a Kubernetes API type (an HPA behavior, ResourceRequirements), checked by fabric8's model. */
    static Shape kubernetes(Class<?> type) {
        return (node, path, problems) -> {
            try {
                StrictModel.parse(node, type, path);
            } catch (AssertionError e) {
                problems.add(e.getMessage());
            }
        };
    }

    /** An object whose allowed fields depend on the value of its field {@code discriminator} (a KEDA trigger's type). */
    static Shape byField(String discriminator, Map<String, Shape> shapes) {
        return (node, path, problems) -> {
            Shape shape = shapes.get(node.path(discriminator).asText());
            if (shape == null) {
                problems.add(path + "." + discriminator + ": one of " + shapes.keySet() + " expected, found " + node.path(discriminator));
            } else {
                shape.check(node, path, problems);
            }
        };
    }
}
