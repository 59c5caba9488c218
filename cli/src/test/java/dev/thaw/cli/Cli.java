package dev.thaw.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Runs {@code fn} in-process as a user would from a shell, with the environment variables,
 * home directory and stdin a test chooses, and keeps everything it printed.
 */
final class Cli {
    /** What one run printed and returned. {@code stdout} holds the raw bytes of a function's response. */
    record Result(int exit, String out, String err, byte[] stdout) {
        List<String> outLines() {
            return out.lines().toList();
        }

        List<String> errLines() {
            return err.lines().toList();
        }
    }

    private final Map<String, String> variables = new HashMap<>();
    private Path home = Path.of("/nonexistent-home-of-a-test");
    private byte[] stdin = new byte[0];
    private boolean interactive;

    Cli env(String name, String value) {
        variables.put(name, value);
        return this;
    }

    Cli home(Path home) {
        this.home = home;
        return this;
    }

    Cli stdin(byte[] stdin) {
        this.stdin = stdin;
        return this;
    }

    /** As if a person were at a terminal on stdin and stdout. */
    Cli interactive() {
        this.interactive = true;
        return this;
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Environment environment = new Environment(variables::get, home, new ByteArrayInputStream(stdin), stdout,
                interactive);
        int exit = new CommandLine(new Fn(environment))
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err))
                .execute(args);
        return new Result(exit, out.toString(), err.toString(), stdout.toByteArray());
    }

    /** Runs against {@code gateway} with a known token. */
    static Result run(FakeGateway gateway, String... args) {
        return new Cli().env("FN_GATEWAY", gateway.url()).env("FN_TOKEN", "test-token").run(args);
    }
}
