package dev.thaw.e2e.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kubectl kustomize DIR}: what {@code kubectl apply -k DIR} would send to a cluster,
 * rendered offline, as one JSON tree per object. kubectl must be installed (./test installs
 * Debian's kubernetes-client where it is missing): without it the test fails and says so.
 */
public final class Kustomize {
    private static final YAMLMapper YAML = new YAMLMapper();

    private Kustomize() {}

    public static List<JsonNode> render(Path dir) throws IOException, InterruptedException {
        return parse(run(List.of("kubectl", "kustomize", dir.toString()), "rendering " + dir));
    }

    /** Every document of a multi-document YAML stream, skipping empty ones. */
    public static List<JsonNode> parse(String yaml) throws IOException {
        List<JsonNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    objects.add(doc);
                }
            }
        }
        return objects;
    }

    /** Runs a command to completion; its standard output, or an AssertionError naming what failed and why. */
    static String run(List<String> command, String what) throws IOException, InterruptedException {
        Command.Result r = Command.run(command, what);
        if (r.exitCode() != 0) {
            throw new AssertionError(what + ": " + String.join(" ", command) + " exited with " + r.exitCode() + ":\n" + r.err());
        }
        return r.out();
    }
}
