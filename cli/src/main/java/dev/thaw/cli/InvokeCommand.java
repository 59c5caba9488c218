package dev.thaw.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fn invoke NAME[@VERSION]}: runs a function once. The request body is its stdin;
 * its stdout comes back as the response and is written out byte for byte.
 */
@Command(name = "invoke", description = "Invoke a function and print its output.")
final class InvokeCommand extends Subcommand {
    private static final Pattern TARGET = Pattern.compile(FunctionName.PATTERN.pattern() + "(@[1-9][0-9]*)?");

    @Parameters(paramLabel = "NAME[@VERSION]", description = "The function, and a version when not the latest.")
    String target;

    @ArgGroup
    Input input;

    @Option(names = "--async", description = "Queue the invocation and print its id instead of waiting.")
    boolean async;

    @Option(names = {"-v", "--verbose"}, description = "Print the Thaw-* response headers to stderr.")
    boolean verbose;

    /** Where the request body comes from; without either, stdin unless it is a terminal. */
    static final class Input {
        @Option(names = {"-d", "--data"}, paramLabel = "DATA", description = "The request body.")
        String data;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Send this file as the request body.")
        Path file;
    }

    @Override
    int run() throws IOException {
        if (!TARGET.matcher(target).matches()) {
            throw new Failure("invalid function '" + target + "' (expected NAME or NAME@VERSION)");
        }
        List<String> headers = new ArrayList<>(List.of("Content-Type", "application/octet-stream"));
        if (async) {
            headers.addAll(List.of("Prefer", "respond-async"));
        }
        byte[] body = body();
        Gateway.Response response;
        try (Gateway gateway = fn.gateway()) {
            response = gateway.exchange("POST", "/fn/" + target, body, headers.toArray(String[]::new));
        }
        if (verbose) {
            printThawHeaders(response);
        }
        if (!response.ok()) {
            throw response.failure();
        }
        if (async) {
            if (fn.json()) {
                printJson(response);
            } else {
                out().println(response.json().path("invocation").asText());
            }
            return 0;
        }
        // The function's stdout may be any bytes: write them untouched, past the text writer.
        out().flush();
        OutputStream stdout = fn.environment().stdout();
        stdout.write(response.body());
        stdout.flush();
        return 0;
    }

    private byte[] body() throws IOException {
        if (input != null && input.data != null) {
            return input.data.getBytes(StandardCharsets.UTF_8);
        }
        if (input != null && input.file != null) {
            try {
                return Files.readAllBytes(input.file);
            } catch (IOException e) {
                throw Failure.io("cannot read " + input.file, e);
            }
        }
        // A terminal on stdin means nobody piped a request in: do not wait for one.
        return fn.environment().interactive() ? new byte[0] : fn.environment().stdin().readAllBytes();
    }

    private void printThawHeaders(Gateway.Response response) {
        response.headers().map().forEach((name, values) -> {
            if (name.regionMatches(true, 0, "thaw-", 0, 5)) {
                values.forEach(value -> err().println(capitalized(name) + ": " + value));
            }
        });
        err().flush();
    }

    /** {@code thaw-invocation-id} as {@code Thaw-Invocation-Id}: servers and HTTP versions differ in case. */
    private static String capitalized(String header) {
        return Arrays.stream(header.split("-", -1))
                .map(word -> word.isEmpty() ? word
                        : Character.toUpperCase(word.charAt(0)) + word.substring(1).toLowerCase(Locale.ROOT))
                .collect(Collectors.joining("-"));
    }
}
