package dev.thaw.gateway.api;

import dev.thaw.registry.InvocationRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An invocation record as log lines: its stderr lines, its log lines, and its error if it failed. */
final class LogLines {
    private LogLines() {}

    static List<Map<String, Object>> of(InvocationRecord r) {
        List<Map<String, Object>> lines = new ArrayList<>();
        String stderr = new String(r.stderr(), StandardCharsets.UTF_8);
        for (String line : stderr.split("\n")) {
            if (!line.isEmpty()) {
                lines.add(line(r, "stderr", line));
            }
        }
        for (String log : r.logs()) {
            lines.add(line(r, "log", log));
        }
        if (!r.error().isEmpty()) {
            lines.add(line(r, "error", r.error()));
        }
        return lines;
    }

    private static Map<String, Object> line(InvocationRecord r, String stream, String text) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("invocation", r.id());
        m.put("time", (r.finishedAt() != null ? r.finishedAt() : r.createdAt()).toString());
        m.put("version", r.version());
        m.put("outcome", r.outcome());
        m.put("stream", stream);
        m.put("line", text);
        return m;
    }
}
