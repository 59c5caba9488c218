package dev.thaw.protocol;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An accepted async invocation, as it waits to run: on the Kafka topic {@link #TOPIC} (keyed
 * by function; the request is the record's value and everything else travels in headers),
 * or in the embedded platform's local journal. The id makes a redelivery harmless: an
 * invocation whose record is already DONE is not run again.
 *
 * @param attempt     how many times it ran already (0 for a new one)
 * @param callbackUrl where to POST the result when done; null for none
 */
public record AsyncInvocation(String id, String function, int version, byte[] input, Instant acceptedAt, int attempt,
                              String callbackUrl) {
    /** The topic gateways produce async invocations to. */
    public static final String TOPIC = "thaw.invocations";
    /** Where an invocation goes after its last try, with headers naming the error. */
    public static final String DEAD_LETTER_TOPIC = "thaw.invocations.dlq";
    /** The consumer group of the invokers that run them. */
    public static final String CONSUMER_GROUP = "thaw-invokers";

    public static final String ID = "thaw-id";
    public static final String FUNCTION = "thaw-function";
    public static final String VERSION = "thaw-version";
    public static final String ACCEPTED_AT = "thaw-accepted-at";
    public static final String ATTEMPT = "thaw-attempt";
    public static final String CALLBACK = "thaw-callback-url";
    /** On the dead-letter topic: the error of the last try, and how many tries there were. */
    public static final String ERROR = "thaw-error";
    public static final String OUTCOME = "thaw-outcome";

    public AsyncInvocation {
        FunctionName.require(function);
        if (version < 1 || attempt < 0) {
            throw new IllegalArgumentException("bad async invocation " + id + ": version " + version + ", attempt " + attempt);
        }
    }

    /** The same invocation, to be tried once more. */
    public AsyncInvocation nextAttempt() {
        return new AsyncInvocation(id, function, version, input, acceptedAt, attempt + 1, callbackUrl);
    }

    /** Everything but the request, as the headers of its message. */
    public Map<String, byte[]> headers() {
        Map<String, byte[]> h = new LinkedHashMap<>();
        h.put(ID, bytes(id));
        h.put(FUNCTION, bytes(function));
        h.put(VERSION, bytes(Integer.toString(version)));
        h.put(ACCEPTED_AT, bytes(acceptedAt.toString()));
        h.put(ATTEMPT, bytes(Integer.toString(attempt)));
        if (callbackUrl != null) {
            h.put(CALLBACK, bytes(callbackUrl));
        }
        return h;
    }

    /** Reads one back from its message; IllegalArgumentException when a header is missing or malformed. */
    public static AsyncInvocation of(Map<String, byte[]> headers, byte[] input) {
        try {
            String callback = headers.get(CALLBACK) == null ? null : text(headers, CALLBACK);
            return new AsyncInvocation(text(headers, ID), text(headers, FUNCTION), Integer.parseInt(text(headers, VERSION)),
                    input == null ? new byte[0] : input, Instant.parse(text(headers, ACCEPTED_AT)),
                    Integer.parseInt(text(headers, ATTEMPT)), callback);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not an async invocation: " + e.getMessage(), e);
        }
    }

    private static String text(Map<String, byte[]> headers, String name) {
        byte[] v = headers.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no " + name + " header");
        }
        return new String(v, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
