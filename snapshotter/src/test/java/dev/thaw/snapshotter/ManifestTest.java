package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ManifestTest {
    @Test
    void fillsInDefaults() throws Exception {
        Manifest m = Manifest.parse("{\"name\": \"hello\"}");
        assertEquals(Manifest.Runtime.C, m.runtime());
        assertEquals(64, m.memoryMb());
        assertEquals(5000, m.timeoutMs());
        assertEquals(6L << 20, m.maxOutputBytes());
        assertEquals(List.of("-O2"), m.cflags());
        assertEquals(Map.of(), m.env());
        assertEquals(List.of(), m.args());
        assertEquals(Manifest.SnapshotPoint.FIRST_CONTACT, m.snapshot());
        assertEquals(new Manifest.Scaling(60, 0, 1000), m.scaling());
    }

    @Test
    void readsHowWarmShellsScale() throws Exception {
        Manifest m = Manifest.parse("{\"name\": \"a\", \"idle_timeout_s\": 0, \"min_warm\": 2, \"max_warm\": 2}");
        assertEquals(new Manifest.Scaling(0, 2, 2), m.scaling());
        assertEquals(Manifest.parse("{\"name\": \"a\"}").bootJson(), m.bootJson(), "scaling needs no new snapshot");
    }

    @Test
    void runtimesSnapshotAtReadyAndArgsShapeTheSnapshot() throws Exception {
        Manifest py = Manifest.parse("{\"name\": \"p\", \"runtime\": \"python\"}");
        assertEquals(Manifest.Runtime.PYTHON, py.runtime());
        assertEquals(Manifest.SnapshotPoint.READY, py.snapshot());
        Manifest c = Manifest.parse("{\"name\": \"c\", \"snapshot\": \"ready\", \"args\": [\"-e\", \"x y\"]}");
        assertEquals(List.of("-e", "x y"), c.args());
        assertEquals(Manifest.SnapshotPoint.READY, c.snapshot());
        assertEquals("{\"args\":[\"-e\",\"x y\"],\"env\":{},\"memory_mb\":64,\"name\":\"c\",\"runtime\":\"c\",\"snapshot\":\"ready\"}",
                c.bootJson());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            `{`                                          | ``                 | not valid JSON
            `[1]`                                        | ``                 | must be a JSON object
            `{"name": "Hello"}`                          | name               | must match [a-z][a-z0-9-]{0,62}, got 'Hello'
            `{}`                                         | name               | got nothing
            `{"name": "a", "memroy_mb": 1}`              | memroy_mb          | unknown field
            `{"name": "a", "memory_mb": 4}`              | memory_mb          | must be a whole number from 8 to 1024, got 4
            `{"name": "a", "memory_mb": "64"}`           | memory_mb          | must be a whole number from 8 to 1024
            `{"name": "a", "timeout_ms": 0}`             | timeout_ms         | from 1 to 900000
            `{"name": "a", "max_output_bytes": 1073741824}` | max_output_bytes | from 1 to 67108864, got 1073741824
            `{"name": "a", "runtime": "ruby"}`           | runtime            | must be "c", "elf", "python" or "lua", got "ruby"
            `{"name": "a", "runtime": "python", "sources": ["a.c"]}` | sources | not for runtime "python"
            `{"name": "a", "runtime": "lua", "snapshot": "first-contact"}` | snapshot | always snapshots at "ready"
            `{"name": "a", "snapshot": "later"}`         | snapshot           | must be "first-contact" or "ready", got "later"
            `{"name": "a", "args": "-e"}`                | args               | must be an array of strings
            `{"name": "a", "args": ["a\\u0000b"]}`       | args               | cannot contain a NUL character
            `{"name": "a", "runtime": "elf"}`            | binary             | required when runtime is "elf"
            `{"name": "a", "binary": "x.elf"}`           | binary             | only for runtime "elf"
            `{"name": "a", "runtime": "elf", "binary": "../x"}` | binary      | must be a relative file name inside the function
            `{"name": "a", "sources": ["/etc/passwd"]}`  | sources            | is not a relative file name
            `{"name": "a", "cflags": ["-o/tmp/x"]}`      | cflags             | '-o/tmp/x' is not an allowed compiler option
            `{"name": "a", "cflags": ["-specs=evil"]}`   | cflags             | not an allowed compiler option
            `{"name": "a", "idle_timeout_s": -1}`        | idle_timeout_s     | must be a whole number from 0 to 86400, got -1
            `{"name": "a", "idle_timeout_s": 1.5}`       | idle_timeout_s     | must be a whole number from 0 to 86400, got 1.5
            `{"name": "a", "idle_timeout_s": "60"}`      | idle_timeout_s     | must be a whole number from 0 to 86400
            `{"name": "a", "min_warm": -1}`              | min_warm           | must be a whole number from 0 to 1000, got -1
            `{"name": "a", "min_warm": 1001}`            | min_warm           | must be a whole number from 0 to 1000, got 1001
            `{"name": "a", "max_warm": true}`            | max_warm           | must be a whole number from 1 to 1000, got true
            `{"name": "a", "max_warm": 0}`               | max_warm           | must be a whole number from 1 to 1000, got 0
            `{"name": "a", "min_warm": 3, "max_warm": 2}` | min_warm          | must be at most max_warm (2), got 3
            `{"name": "a", "env": {"1X": "v"}}`          | env                | '1X' is not a valid variable name
            `{"name": "a", "env": {"X": 1}}`             | env                | value of 'X' must be a string
            `{"name": "a", "public": "yes"}`             | public             | must be true or false
            """)
    void refusesBadManifestsNamingTheFieldAndTheReason(String json, String field, String reason) {
        Manifest.InvalidManifestException e = assertThrows(Manifest.InvalidManifestException.class, () -> Manifest.parse(json));
        assertEquals(field == null ? "" : field, e.field());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
