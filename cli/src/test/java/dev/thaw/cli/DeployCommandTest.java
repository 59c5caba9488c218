package dev.thaw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fn deploy}: the bundle it uploads and what it prints about the build. */
class DeployCommandTest {
    private static final String DEPLOYED = """
            {"name": "hello", "version": 3, "snapshot": "85562c74580d236269fec9f40e2b81ab",
             "build": {"upload_ms": 1.2, "compile_ms": 23.0, "boot_ms": 1.7, "snapshot_ms": 0.9, "total_ms": 31.4,
                       "cached": false},
             "manifest": {"name": "hello", "runtime": "c", "memory_mb": 16, "timeout_ms": 1000}}""";

    @TempDir
    Path dir;

    private FakeGateway gateway;

    @BeforeEach
    void start() throws IOException {
        gateway = new FakeGateway().answer("PUT", "/v1/functions/hello", 201, DEPLOYED);
        write("function.json", "{\"name\": \"hello\", \"memory_mb\": 16}");
        write("main.c", "int main(void) { return 0; }\n");
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private void write(String path, String content) throws IOException {
        Path file = dir.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private Cli.Result deploy(String... options) {
        return Cli.run(gateway, Stream.concat(Stream.of("deploy", dir.toString()), Stream.of(options))
                .toArray(String[]::new));
    }

    @Test
    void uploadsTheFolderAsTarGzAndPrintsEachStep() throws IOException {
        write("include/greet.h", "#define GREETING \"Hello\"\n");
        write(".git/HEAD", "ref: refs/heads/main\n");
        write("target/main.o", "");

        Cli.Result result = deploy();

        assertEquals(0, result.exit(), result.err());
        FakeGateway.Request request = gateway.request();
        assertEquals("PUT", request.method());
        assertEquals("application/gzip", request.header("Content-Type"));
        assertEquals("Bearer test-token", request.header("Authorization"));
        Map<String, String> files = Bundles.read(request.body());
        assertEquals(List.of("function.json", "include/greet.h", "main.c"), List.copyOf(files.keySet()));
        assertEquals("int main(void) { return 0; }\n", files.get("main.c"));

        List<String> lines = result.outLines();
        assertEquals(5, lines.size(), result.out());
        assertTrue(lines.get(0).matches("upload +3 files, \\d+ B +1\\.2 ms"), lines.get(0));
        assertTrue(lines.get(1).matches("compile +23\\.0 ms"), lines.get(1));
        assertTrue(lines.get(2).matches("boot +1\\.7 ms"), lines.get(2));
        assertTrue(lines.get(3).matches("snapshot +0\\.9 ms"), lines.get(3));
        assertEquals("deployed hello version 3 (snapshot 85562c74, 31.4 ms)", lines.get(4));
        assertEquals("", result.err());
    }

    @Test
    void sizesAreInKibibytesPastOne() throws IOException {
        // Incompressible content, so the bundle itself is past 1 KiB.
        byte[] noise = new byte[3000];
        new Random(7).nextBytes(noise);
        Files.write(dir.resolve("table.bin"), noise);
        String upload = deploy().outLines().getFirst();
        assertTrue(upload.matches("upload +3 files, \\d\\.\\d KiB +1\\.2 ms"), upload);
    }

    @Test
    void aCachedSnapshotIsReportedAsReused() {
        gateway.answer("PUT", "/v1/functions/hello", 201, DEPLOYED.replace("\"cached\": false", "\"cached\": true"));
        List<String> lines = deploy().outLines();
        assertEquals("snapshot unchanged: reused", lines.get(2));
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.stream().noneMatch(line -> line.startsWith("boot")));
    }

    @Test
    void jsonPrintsTheGatewaysAnswer() {
        Cli.Result result = deploy("--json");
        assertEquals(DEPLOYED + "\n", result.out());
    }

    @Test
    void aCompileErrorPrintsTheCompilersMessage() {
        gateway.answer("PUT", "/v1/functions/hello", 422, """
                {"error": "compilation failed", "compiler": "main.c:1:29: error: expected ';' before '}' token\\n"}""");
        Cli.Result result = deploy();
        assertEquals(1, result.exit());
        assertEquals("fn: build failed\nmain.c:1:29: error: expected ';' before '}' token\n", result.err());
        assertEquals("", result.out());
    }

    @Test
    void aFunctionThatNeverReadsStdinIsAnError() {
        gateway.answer("PUT", "/v1/functions/hello", 422,
                "{\"error\": \"the function exited before its first read of stdin\"}");
        Cli.Result result = deploy();
        assertEquals(List.of("fn: the function exited before its first read of stdin"), result.errLines());
    }

    @Test
    void aManifestErrorNamesTheField() {
        gateway.answer("PUT", "/v1/functions/hello", 400,
                "{\"error\": \"memory_mb must be between 8 and 1024\", \"field\": \"memory_mb\"}");
        Cli.Result result = deploy();
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: memory_mb must be between 8 and 1024 (field memory_mb)"), result.errLines());
    }

    @Test
    void aMissingManifestIsOneLine() throws IOException {
        Files.delete(dir.resolve("function.json"));
        Cli.Result result = deploy();
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: no function.json in " + dir), result.errLines());
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void anInvalidManifestIsOneLine() throws IOException {
        write("function.json", "{\"name\": \"hello\",");
        Cli.Result result = deploy();
        assertEquals(1, result.exit());
        assertEquals(1, result.errLines().size(), result.err());
        assertTrue(result.err().startsWith("fn: " + dir.resolve("function.json") + " is not valid JSON: "), result.err());
        assertTrue(gateway.requests().isEmpty());
    }

    @Test
    void aManifestWithoutANameIsOneLine() throws IOException {
        write("function.json", "{\"runtime\": \"c\"}");
        Cli.Result result = deploy();
        assertEquals(List.of("fn: " + dir.resolve("function.json") + " has no \"name\""), result.errLines());
    }

    @Test
    void aManifestWithAnInvalidNameIsOneLine() throws IOException {
        write("function.json", "{\"name\": \"Hello World\"}");
        Cli.Result result = deploy();
        assertEquals(1, result.exit());
        assertEquals(1, result.errLines().size(), result.err());
        assertTrue(result.err().startsWith("fn: " + dir.resolve("function.json") + ": invalid function name 'Hello World'"),
                result.err());
    }

    @Test
    void aMissingFolderIsOneLine() {
        Cli.Result result = Cli.run(gateway, "deploy", dir.resolve("nowhere").toString());
        assertEquals(List.of("fn: " + dir.resolve("nowhere") + " is not a directory"), result.errLines());
    }

    @Test
    void noProgressIsDrawnWhenStdoutIsNotATerminal() {
        assertFalse(deploy().out().contains("\r"));
    }

    @Test
    void progressIsDrawnAndErasedAtATerminal() {
        gateway.route("PUT", "/v1/functions/hello", exchange -> {
            sleep(300);
            byte[] body = DEPLOYED.getBytes();
            exchange.sendResponseHeaders(201, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        Cli.Result result = new Cli().interactive().env("FN_GATEWAY", gateway.url()).run("deploy", dir.toString());
        assertEquals(0, result.exit(), result.err());
        assertTrue(result.out().startsWith("\r| deploying hello "), result.out());
        int erased = result.out().lastIndexOf("\r\033[K");
        assertTrue(erased > 0, result.out());
        assertTrue(result.out().substring(erased + 4).startsWith("upload "), result.out());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
