package dev.thaw.e2e.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes objects through fabric8's model (the Java types of the Kubernetes API), strictly.
 * fabric8 keeps a field it does not know in the object's additionalProperties instead of
 * failing, which is how a misspelt field (readinessProbe as readynessProbe) would pass
 * silently and be dropped by the API server; this walks the parsed object and reports every
 * such field with its path. A wrong type (a string where an integer belongs) fails the parse.
 */
public final class StrictModel {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private StrictModel() {}

    /**
     * The typed object for a rendered document; an AssertionError naming the object and its
     * unknown fields if it has any, or if its kind is not one of the Kubernetes API's.
     */
    public static HasMetadata parse(JsonNode document) {
        String name = document.path("kind").asText() + "/" + document.path("metadata").path("name").asText();
        HasMetadata object;
        try {
            object = SERIALIZATION.unmarshal(document.toString(), HasMetadata.class);
        } catch (RuntimeException e) {
            throw new AssertionError(name + " does not parse as a Kubernetes object: " + e.getMessage(), e);
        }
        if (object instanceof GenericKubernetesResource) {
            throw new AssertionError(name + " (" + document.path("apiVersion").asText()
                    + ") is not a kind of the Kubernetes API fabric8 knows: a misspelt kind or apiVersion?");
        }
        List<String> unknown = unknownFields(object, name);
        if (!unknown.isEmpty()) {
            throw new AssertionError(name + " has fields the Kubernetes API does not define: " + unknown);
        }
        return object;
    }

    /** A part of an object (a HorizontalPodAutoscalerBehavior, ResourceRequirements) parsed as the given type, strictly. */
    public static <T> T parse(JsonNode part, Class<T> type, String path) {
        T value;
        try {
            value = SERIALIZATION.convertValue(part, type);
        } catch (RuntimeException e) {
            throw new AssertionError(path + " does not parse as " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
        List<String> unknown = unknownFields(value, path);
        if (!unknown.isEmpty()) {
            throw new AssertionError(path + " has fields " + type.getSimpleName() + " does not define: " + unknown);
        }
        return value;
    }

    /** Paths of the fields fabric8 did not recognise anywhere in {@code value}. */
    static List<String> unknownFields(Object value, String path) {
        List<String> unknown = new ArrayList<>();
        walk(value, path, unknown);
        return unknown;
    }

    private static void walk(Object value, String path, List<String> unknown) {
        switch (value) {
            case null -> { }
            case Map<?, ?> map -> map.forEach((k, v) -> walk(v, path + "." + k, unknown));
            case Collection<?> items -> {
                int i = 0;
                for (Object item : items) {
                    walk(item, path + "[" + i++ + "]", unknown);
                }
            }
            default -> {
                if (value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model.")) {
                    walkModel(value, path, unknown);
                }
            }
        }
    }

    /** A model object: its additionalProperties must be empty, and so must those of everything it holds. */
    private static void walkModel(Object model, String path, List<String> unknown) {
        for (Method getter : model.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Class<?> type = getter.getReturnType();
            boolean isModel = type.getName().startsWith("io.fabric8.kubernetes.api.model.");
            if (!isModel && !Map.class.isAssignableFrom(type) && !Collection.class.isAssignableFrom(type) && type != Object.class) {
                continue; // a scalar (String, Integer, Boolean, BigDecimal): nothing can hide in it
            }
            Object field = invoke(getter, model);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> unknown.add(path + "." + k));
                }
                continue;
            }
            String name = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            walk(field, path + "." + name, unknown);
        }
    }

    private static Object invoke(Method getter, Object target) {
        try {
            return getter.invoke(target);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("reading " + getter + " of " + target.getClass().getName(), e);
        }
    }
}
