package dev.thaw.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An invocation's {@link InvocationResult} as it travels from an invoker to a gateway: a 4-byte length,
 * a JSON header (status, codes, log lines, timings, part sizes), then stdout and stderr as
 * raw bytes, so binary output costs no encoding.
 */
public final class ResultCodec {
    public static final String CONTENT_TYPE = "application/x-thaw-result";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultCodec() {}

    public static byte[] encode(InvocationResult r) {
        ObjectNode h = JSON.createObjectNode();
        h.put("status", r.status().name());
        h.put("exit_code", r.exitCode());
        h.put("signal", r.signal());
        h.put("error", r.error());
        h.put("stdout", r.stdout().length);
        h.put("stderr", r.stderr().length);
        ArrayNode logs = h.putArray("logs");
        r.logs().forEach(logs::add);
        InvocationResult.Timings t = r.timings();
        h.put("queue_ns", t.queueNanos());
        h.put("run_ns", t.runNanos());
        h.put("total_ns", t.totalNanos());
        h.put("exits", t.exits());
        h.put("dirty_pages", t.dirtyPages());
        h.put("warm", t.warm());
        byte[] header;
        try {
            header = JSON.writeValueAsBytes(h);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return ByteBuffer.allocate(4 + header.length + r.stdout().length + r.stderr().length)
                .putInt(header.length).put(header).put(r.stdout()).put(r.stderr()).array();
    }

    public static InvocationResult decode(byte[] bytes) throws IOException {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int headerLength = b.getInt();
            if (headerLength < 0 || headerLength > b.remaining()) {
                throw new IOException("invoker result: bad header length " + headerLength);
            }
            JsonNode h = JSON.readTree(Arrays.copyOfRange(bytes, 4, 4 + headerLength));
            int stdoutLength = h.get("stdout").asInt();
            int stderrLength = h.get("stderr").asInt();
            if (stdoutLength < 0 || stderrLength < 0 || (long) stdoutLength + stderrLength != bytes.length - 4 - headerLength) {
                throw new IOException("invoker result: part sizes do not add up");
            }
            int at = 4 + headerLength;
            byte[] stdout = Arrays.copyOfRange(bytes, at, at + stdoutLength);
            byte[] stderr = Arrays.copyOfRange(bytes, at + stdoutLength, at + stdoutLength + stderrLength);
            List<String> logs = new ArrayList<>();
            h.get("logs").forEach(l -> logs.add(l.asText()));
            InvocationResult.Timings t = new InvocationResult.Timings(h.get("queue_ns").asLong(), h.get("run_ns").asLong(), h.get("total_ns").asLong(),
                    h.get("exits").asInt(), h.get("dirty_pages").asInt(), h.get("warm").asBoolean());
            return new InvocationResult(InvocationResult.Status.valueOf(h.get("status").asText()), h.get("exit_code").asInt(),
                    h.get("signal").asInt(), stdout, stderr, List.copyOf(logs), h.get("error").asText(), t);
        } catch (RuntimeException e) {
            throw new IOException("invoker result: malformed (" + e.getMessage() + ")", e);
        }
    }
}
