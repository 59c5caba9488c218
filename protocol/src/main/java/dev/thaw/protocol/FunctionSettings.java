package dev.thaw.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The manifest fields a gateway enforces on every invocation, with their one definition of
 * defaults and ranges: the snapshotter's full manifest reads them through this class too.
 *
 * @param isPublic    invokable without the admin token ({@code "public"}, default false)
 * @param concurrency invocations running at once; more are refused with 429 ({@code "concurrency"}, default 100)
 * @param timeoutMs   per invocation, counted from admission ({@code "timeout_ms"}, default 5000)
 * @param retries     async invocations: tries after a failure of the function itself ({@code "retries"},
 *                    default 0; failures of the platform are retried anyway)
 */
public record FunctionSettings(boolean isPublic, int concurrency, int timeoutMs, int retries) {
    public static final int MAX_RETRIES = 10;
    public static final int MAX_TIMEOUT_MS = 900_000;
    public static final int MAX_CONCURRENCY = 100_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A field with a value outside its rule. */
    public static final class InvalidFieldException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String field;

        public InvalidFieldException(String field, String reason) {
            super(reason);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** Reads the settings from a manifest object, defaults for what is missing. */
    public static FunctionSettings of(JsonNode manifest) throws InvalidFieldException {
        JsonNode pub = manifest.get("public");
        if (pub != null && !pub.isNull() && !pub.isBoolean()) {
            throw new InvalidFieldException("public", "must be true or false");
        }
        return new FunctionSettings(pub != null && pub.booleanValue(),
                (int) wholeNumber(manifest, "concurrency", 100, 1, MAX_CONCURRENCY),
                (int) wholeNumber(manifest, "timeout_ms", 5000, 1, MAX_TIMEOUT_MS),
                (int) wholeNumber(manifest, "retries", 0, 0, MAX_RETRIES));
    }

    /** Reads the settings from the manifest JSON a registry holds (valid: it was checked at deploy). */
    public static FunctionSettings of(String manifestJson) {
        try {
            return of(JSON.readTree(manifestJson));
        } catch (JsonProcessingException | InvalidFieldException e) {
            throw new IllegalStateException("a deployed manifest is invalid: " + e.getMessage(), e);
        }
    }

    /** A whole number field within [min, max], or {@code fallback} when missing: the manifest's number rule. */
    public static long wholeNumber(JsonNode root, String field, long fallback, long min, long max)
            throws InvalidFieldException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
            throw new InvalidFieldException(field, "must be a whole number from " + min + " to " + max + ", got " + n);
        }
        return n.longValue();
    }
}
