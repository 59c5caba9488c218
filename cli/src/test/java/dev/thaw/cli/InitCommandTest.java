package dev.thaw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fn init}: a function folder that builds, with a manifest the gateway accepts. */
class InitCommandTest {
    @TempDir
    Path parent;

    private Cli.Result init(String name) {
        return new Cli().run("init", name, "--dir", parent.toString());
    }

    @Test
    void writesAManifestAndPrintsTheNextSteps() throws IOException {
        Cli.Result result = init("greeter");
        assertEquals(0, result.exit(), result.err());
        Path dir = parent.resolve("greeter");
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("function.json").toFile());
        assertEquals("greeter", manifest.path("name").asText());
        assertEquals("c", manifest.path("runtime").asText());
        assertEquals(16, manifest.path("memory_mb").asInt());
        assertEquals(1000, manifest.path("timeout_ms").asInt());
        assertEquals(List.of(
                "created " + dir + "/main.c and " + dir + "/function.json",
                "next:",
                "  fn deploy " + dir,
                "  fn invoke greeter -d 'Thaw'"), result.outLines());
    }

    @Test
    void mainCompilesCleanlyWithTheHostsGcc() throws Exception {
        assumeTrue(gccAvailable(), "gcc is not installed");
        init("greeter");
        Path main = parent.resolve("greeter/main.c");
        assertTrue(Files.readString(main).startsWith("/*\n * greeter: a Thaw function."));
        Process gcc = new ProcessBuilder("gcc", "-fsyntax-only", "-std=c11", "-Wall", "-Wextra", "-Werror",
                main.toString()).redirectErrorStream(true).start();
        String messages = new String(gcc.getInputStream().readAllBytes());
        assertEquals(0, gcc.waitFor(), messages);
    }

    @Test
    void mainGreetsWhatItReads() throws Exception {
        assumeTrue(gccAvailable(), "gcc is not installed");
        init("greeter");
        Path binary = parent.resolve("greeter/a.out");
        Process gcc = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(),
                parent.resolve("greeter/main.c").toString()).redirectErrorStream(true).start();
        String messages = new String(gcc.getInputStream().readAllBytes());
        assertEquals(0, gcc.waitFor(), messages);

        assertEquals("Hello, Ada!\n", runWithInput(binary, "Ada\n"));
        assertEquals("Hello, world!\n", runWithInput(binary, ""));
        String big = "x".repeat(10_000);   // past the first buffer, so it has to grow
        assertEquals("Hello, " + big + "!\n", runWithInput(binary, big));
    }

    @Test
    void pythonAndLuaStartersGreetWhatTheyGetWithTheHostsInterpreters() throws Exception {
        Cli.Result py = new Cli().run("init", "--runtime", "python", "py-greeter", "--dir", parent.toString());
        assertEquals(0, py.exit(), py.err());
        Path pyDir = parent.resolve("py-greeter");
        assertEquals("created " + pyDir + "/handler.py and " + pyDir + "/function.json", py.outLines().getFirst());
        JsonNode manifest = new ObjectMapper().readTree(pyDir.resolve("function.json").toFile());
        assertEquals("python", manifest.path("runtime").asText());
        assertEquals(64, manifest.path("memory_mb").asInt());
        assertEquals("Hello, Ada!\n", run(pyDir, "Ada\n", "/usr/bin/python3.11", "-B", "-c",
                "import sys, handler; sys.stdout.write(handler.handle(sys.stdin.buffer.read()))"));

        Cli.Result lua = new Cli().run("init", "--runtime", "lua", "lua-greeter", "--dir", parent.toString());
        assertEquals(0, lua.exit(), lua.err());
        Path luaDir = parent.resolve("lua-greeter");
        assertEquals("lua", new ObjectMapper().readTree(luaDir.resolve("function.json").toFile()).path("runtime").asText());
        assertEquals("Hello, world!\n", run(luaDir, "", "lua5.4", "-e", "io.write(dofile('handler.lua')(io.read('a')))"));
    }

    @Test
    void refusesAnUnknownRuntime() {
        Cli.Result result = new Cli().run("init", "--runtime", "ruby", "greeter", "--dir", parent.toString());
        assertEquals(2, result.exit(), result.err());
        assertTrue(result.err().contains("ruby"), result.err());
        assertFalse(Files.exists(parent.resolve("greeter")));
    }

    /** Runs an interpreter (./test installs python3.11 and lua5.4) in dir with input on stdin. */
    private static String run(Path dir, String input, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(false).start();
        try (var stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), errors);
        return output;
    }

    @Test
    void refusesAnInvalidName() {
        Cli.Result result = init("Hello_World");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: invalid function name 'Hello_World' "
                + "(lowercase letters, digits and '-', starting with a letter, at most 63)"), result.errLines());
        assertFalse(Files.exists(parent.resolve("Hello_World")));
    }

    @Test
    void refusesAnExistingDirectory() throws IOException {
        Files.createDirectory(parent.resolve("greeter"));
        Cli.Result result = init("greeter");
        assertEquals(1, result.exit());
        assertEquals(List.of("fn: " + parent.resolve("greeter") + " already exists"), result.errLines());
        assertFalse(Files.exists(parent.resolve("greeter/main.c")));
    }

    @Test
    void createsTheParentWhenMissing() {
        Path deeper = parent.resolve("functions/new");
        Cli.Result result = new Cli().run("init", "greeter", "--dir", deeper.toString());
        assertEquals(0, result.exit(), result.err());
        assertTrue(Files.isRegularFile(deeper.resolve("greeter/main.c")));
    }

    private static String runWithInput(Path binary, String input) throws Exception {
        Process process = new ProcessBuilder(binary.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (var stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor());
        return output;
    }

    private static boolean gccAvailable() {
        try {
            return new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
