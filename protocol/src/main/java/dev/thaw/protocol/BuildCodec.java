package dev.thaw.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The answer to {@code POST /v1/build/{name}} on the wire: 200 with the {@link BuildOutcome}
 * as JSON, or the failure's status with {@code {"error", "kind", "field", "compiler"}}.
 */
public final class BuildCodec {
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private BuildCodec() {}

    public static byte[] encode(BuildOutcome outcome) {
        try {
            return JSON.writeValueAsBytes(outcome);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] encode(BuildFailure failure) {
        ObjectNode e = JSON.createObjectNode().put("error", failure.getMessage()).put("kind", failure.kind().name());
        if (failure.field() != null) {
            e.put("field", failure.field());
        }
        if (failure.compiler() != null) {
            e.put("compiler", failure.compiler());
        }
        try {
            return JSON.writeValueAsBytes(e);
        } catch (IOException x) {
            throw new IllegalStateException(x);
        }
    }

    /** The outcome a 200 carries; any other status becomes the {@link BuildFailure} it reports. */
    public static BuildOutcome decode(int status, byte[] body) throws BuildFailure {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            throw new BuildFailure(BuildFailure.Kind.HOST, "the invoker answered " + status + " with malformed JSON", null, null);
        }
        if (status == 200) {
            try {
                return JSON.treeToValue(json, BuildOutcome.class);
            } catch (IOException e) {
                throw new BuildFailure(BuildFailure.Kind.HOST, "the invoker's build answer is malformed: " + e.getMessage(),
                        null, null);
            }
        }
        throw new BuildFailure(BuildFailure.Kind.ofStatus(status), json.path("error").asText("the invoker answered " + status),
                json.hasNonNull("field") ? json.get("field").asText() : null,
                json.hasNonNull("compiler") ? json.get("compiler").asText() : null);
    }
}
