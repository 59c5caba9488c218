package dev.thaw.snapshotter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.thaw.invoker.Limits;
import dev.thaw.protocol.FunctionName;
import dev.thaw.protocol.FunctionSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A function's manifest, {@code function.json}:
 * <pre>
 * {
 *   "name": "hello",            // required: [a-z][a-z0-9-]{0,62}
 *   "runtime": "c",             // "c": compile "sources" with thaw-cc; "elf": run "binary" as is;
 *                               // "python": handler.py's handle(request); "lua": handler.lua's function
 *   "memory_mb": 64,            // guest RAM, 8..1024 (default 64)
 *   "timeout_ms": 5000,         // per invocation (default 5000)
 *   "max_output_bytes": 6291456, // stdout + stderr + log per invocation (default 6 MiB, at most 64 MiB)
 *   "concurrency": 100,         // invocations running at once; more are refused with 429
 *   "sources": ["main.c"],      // runtime c: default all *.c files next to the manifest
 *   "cflags": ["-O2"],          // runtime c: default ["-O2"]; only the options CompilerFlags allows
 *   "binary": "fn.elf",         // runtime elf: a static binary linked with thaw-cc
 *   "env": {"KEY": "value"},    // the function's environment
 *   "args": ["-e", "x"],        // argv[1..] (argv[0] is the name)
 *   "snapshot": "first-contact",// c/elf: snapshot at the first contact with the world, or at
 *                               // thaw_ready() with "ready" (always so for python and lua)
 *   "retries": 0,               // async: tries again after a failure of the function (0..10)
 *   "idle_timeout_s": 60,       // without invocations for this long, an invoker keeps no warm shell (0..86400)
 *   "min_warm": 0,              // warm shells an invoker keeps even when idle (0..1000)
 *   "max_warm": 1000,           // warm shells an invoker keeps at most (1..1000, at least min_warm)
 *   "public": false             // invokable without a token (used by the gateway)
 * }
 * The fields a gateway enforces (public, concurrency, timeout_ms, retries) are read by the
 * protocol's {@link FunctionSettings}, their one definition.
 * </pre>
 * Every error names the field and the reason.
 */
public record Manifest(String name, Runtime runtime, int memoryMb, int timeoutMs, long maxOutputBytes,
                       int concurrency, List<String> sources, List<String> cflags, String binary,
                       Map<String, String> env, boolean isPublic, List<String> args, SnapshotPoint snapshot,
                       Scaling scaling) {

    /**
     * How an invoker sizes the function's warm shells (see {@code ScalePolicy}): they follow
     * demand within {@code [minWarm, maxWarm]}, and none is kept after {@code idleTimeoutS}
     * seconds without an invocation (unless {@code minWarm} says otherwise).
     */
    public record Scaling(int idleTimeoutS, int minWarm, int maxWarm) {
        public static final int DEFAULT_IDLE_TIMEOUT_S = 60;
        public static final int MAX_IDLE_TIMEOUT_S = 86_400;
        public static final int MAX_WARM = 1000;
        public static final Scaling DEFAULT = new Scaling(DEFAULT_IDLE_TIMEOUT_S, 0, MAX_WARM);
    }

    public enum Runtime {
        C("c"), ELF("elf"), PYTHON("python"), LUA("lua");

        private final String id;

        Runtime(String id) {
            this.id = id;
        }

        /** The manifest's spelling: "c", "elf", "python", "lua". */
        public String id() {
            return id;
        }

        /** An interpreter Thaw builds: its binary and library come from the runtime, not the bundle. */
        public boolean interpreted() {
            return this == PYTHON || this == LUA;
        }
    }

    /** Where the snapshot is taken. */
    public enum SnapshotPoint {
        /** At the first read of stdin, write, clock or random reading, or exit. */
        FIRST_CONTACT("first-contact"),
        /** At thaw_ready(); clocks and random before it are deploy-time values. */
        READY("ready");

        private final String id;

        SnapshotPoint(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    public static final String FILE = "function.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern RELATIVE_FILE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./-]*");
    private static final Set<String> FIELDS = Set.of("name", "runtime", "memory_mb", "timeout_ms",
            "max_output_bytes", "concurrency", "sources", "cflags", "binary", "env", "public", "args", "snapshot", "retries",
            "idle_timeout_s", "min_warm", "max_warm");
    private static final int MAX_ARGS = 256;
    private static final int MAX_ARG_BYTES = 64 * 1024;

    /** A manifest that cannot be used, with the field at fault. */
    public static final class InvalidManifestException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String field;

        public InvalidManifestException(String field, String reason) {
            super(field.isEmpty() ? "manifest: " + reason : "manifest field '" + field + "': " + reason);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    public static boolean validName(String name) {
        return FunctionName.isValid(name);
    }

    /** Reads {@code dir/function.json}; fills in the default sources from the directory. */
    public static Manifest load(Path dir) throws InvalidManifestException, IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new InvalidManifestException("", "no " + FILE + " in " + dir);
        }
        Manifest m = parse(Files.readString(file));
        if (m.runtime == Runtime.C && m.sources.isEmpty()) {
            List<String> found = new ArrayList<>();
            try (var files = Files.list(dir)) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".c")).sorted().forEach(found::add);
            }
            if (found.isEmpty()) {
                throw new InvalidManifestException("sources", "none given and no .c file in " + dir);
            }
            m = new Manifest(m.name, m.runtime, m.memoryMb, m.timeoutMs, m.maxOutputBytes, m.concurrency,
                    List.copyOf(found), m.cflags, m.binary, m.env, m.isPublic, m.args, m.snapshot, m.scaling);
        }
        return m;
    }

    public static Manifest parse(String json) throws InvalidManifestException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidManifestException("", "not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidManifestException("", "must be a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new InvalidManifestException(f, "unknown field (known: "
                        + String.join(", ", new TreeSet<>(FIELDS)) + ")");
            }
        }
        String name = text(root, "name", null);
        if (!validName(name)) {
            throw new InvalidManifestException("name", "must match [a-z][a-z0-9-]{0,62}, got "
                    + (name == null ? "nothing" : "'" + name + "'"));
        }
        String runtimeText = text(root, "runtime", "c");
        Runtime runtime = null;
        for (Runtime r : Runtime.values()) {
            if (r.id().equals(runtimeText)) {
                runtime = r;
            }
        }
        if (runtime == null) {
            throw new InvalidManifestException("runtime", "must be \"c\", \"elf\", \"python\" or \"lua\", got \""
                    + runtimeText + "\"");
        }
        int memory = (int) number(root, "memory_mb", 64, 8, 1024);
        FunctionSettings settings;
        try {
            settings = FunctionSettings.of(root);
        } catch (FunctionSettings.InvalidFieldException e) {
            throw new InvalidManifestException(e.field(), e.getMessage());
        }
        long maxOutput = number(root, "max_output_bytes", 6L * 1024 * 1024, 1, Limits.MAX_OUTPUT_BYTES);
        List<String> sources = files(root, "sources");
        List<String> cflags = strings(root, "cflags", List.of("-O2"));
        String binary = text(root, "binary", null);
        if (binary != null && !RELATIVE_FILE.matcher(binary).matches() || binary != null && binary.contains("..")) {
            throw new InvalidManifestException("binary", "must be a relative file name inside the function, got '" + binary + "'");
        }
        if (runtime == Runtime.ELF && binary == null) {
            throw new InvalidManifestException("binary", "required when runtime is \"elf\"");
        }
        if (runtime == Runtime.C && binary != null) {
            throw new InvalidManifestException("binary", "only for runtime \"elf\"; runtime \"c\" compiles sources");
        }
        if (runtime.interpreted()) {
            for (String f : List.of("sources", "cflags", "binary")) {
                if (root.has(f)) {
                    throw new InvalidManifestException(f, "not for runtime \"" + runtime.id() + "\": the handler file is the function");
                }
            }
            sources = List.of();
        }
        List<String> args = strings(root, "args", List.of());
        if (args.size() > MAX_ARGS) {
            throw new InvalidManifestException("args", "at most " + MAX_ARGS + " arguments");
        }
        long argBytes = 0;
        for (String a : args) {
            if (a.indexOf('\0') >= 0) {
                throw new InvalidManifestException("args", "an argument cannot contain a NUL character");
            }
            argBytes += a.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        if (argBytes > MAX_ARG_BYTES) {
            throw new InvalidManifestException("args", "more than " + MAX_ARG_BYTES + " bytes in all");
        }
        String snapshotText = text(root, "snapshot", null);
        SnapshotPoint snapshot = runtime.interpreted() ? SnapshotPoint.READY : SnapshotPoint.FIRST_CONTACT;
        if (snapshotText != null) {
            if (snapshotText.equals(SnapshotPoint.READY.id())) {
                snapshot = SnapshotPoint.READY;
            } else if (snapshotText.equals(SnapshotPoint.FIRST_CONTACT.id()) && !runtime.interpreted()) {
                snapshot = SnapshotPoint.FIRST_CONTACT;
            } else {
                throw new InvalidManifestException("snapshot", runtime.interpreted()
                        ? "runtime \"" + runtime.id() + "\" always snapshots at \"ready\""
                        : "must be \"first-contact\" or \"ready\", got \"" + snapshotText + "\"");
            }
        }
        for (String flag : cflags) {
            String refusal = CompilerFlags.refusal(flag);
            if (refusal != null) {
                throw new InvalidManifestException("cflags", "'" + flag + "' " + refusal);
            }
        }
        Map<String, String> env = env(root);
        int idleTimeout = (int) number(root, "idle_timeout_s", Scaling.DEFAULT_IDLE_TIMEOUT_S, 0, Scaling.MAX_IDLE_TIMEOUT_S);
        int maxWarm = (int) number(root, "max_warm", Scaling.MAX_WARM, 1, Scaling.MAX_WARM);
        int minWarm = (int) number(root, "min_warm", 0, 0, Scaling.MAX_WARM);
        if (minWarm > maxWarm) {
            throw new InvalidManifestException("min_warm", "must be at most max_warm (" + maxWarm + "), got " + minWarm);
        }
        return new Manifest(name, runtime, memory, settings.timeoutMs(), maxOutput, settings.concurrency(), sources,
                cflags, binary, env, settings.isPublic(), args, snapshot, new Scaling(idleTimeout, minWarm, maxWarm));
    }

    private static String text(JsonNode root, String field, String fallback) throws InvalidManifestException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw new InvalidManifestException(field, "must be a string");
        }
        return n.textValue();
    }

    private static long number(JsonNode root, String field, long fallback, long min, long max)
            throws InvalidManifestException {
        try {
            return FunctionSettings.wholeNumber(root, field, fallback, min, max);
        } catch (FunctionSettings.InvalidFieldException e) {
            throw new InvalidManifestException(field, e.getMessage());
        }
    }

    private static List<String> strings(JsonNode root, String field, List<String> fallback)
            throws InvalidManifestException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isArray()) {
            throw new InvalidManifestException(field, "must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new InvalidManifestException(field, "must be an array of strings");
            }
            out.add(e.textValue());
        }
        return List.copyOf(out);
    }

    private static List<String> files(JsonNode root, String field) throws InvalidManifestException {
        List<String> names = strings(root, field, List.of());
        for (String f : names) {
            if (!RELATIVE_FILE.matcher(f).matches() || f.contains("..")) {
                throw new InvalidManifestException(field, "'" + f + "' is not a relative file name inside the function");
            }
        }
        return names;
    }

    private static Map<String, String> env(JsonNode root) throws InvalidManifestException {
        JsonNode n = root.get("env");
        if (n == null || n.isNull()) {
            return Map.of();
        }
        if (!n.isObject()) {
            throw new InvalidManifestException("env", "must be an object of string values");
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!ENV_KEY.matcher(e.getKey()).matches()) {
                throw new InvalidManifestException("env", "'" + e.getKey() + "' is not a valid variable name");
            }
            if (!e.getValue().isTextual()) {
                throw new InvalidManifestException("env", "value of '" + e.getKey() + "' must be a string");
            }
            env.put(e.getKey(), e.getValue().textValue());
        }
        return Map.copyOf(new TreeMap<>(env));
    }

    /**
     * The fields that shape the booted guest (its memory, argv, environment, runtime and
     * snapshot point), as canonical JSON: part of the snapshot's address. Limits (timeout,
     * output, public) are not, so changing them needs no new snapshot.
     */
    public String bootJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putPOJO("args", args);
        o.putPOJO("env", new TreeMap<>(env));
        o.put("memory_mb", memoryMb);
        o.put("name", name);
        o.put("runtime", runtime.id());
        o.put("snapshot", snapshot.id());
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
