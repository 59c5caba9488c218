package dev.thaw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The gateway's HTTP API (docs/API.md) as the CLI uses it: one request at a time, with the
 * admin token when one is known, and every error turned into a {@link Failure} that says
 * what went wrong in the user's terms.
 */
final class Gateway implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final Optional<String> token;
    private final HttpClient http;

    Gateway(URI base, Optional<String> token) {
        this.base = base;
        this.token = token;
        // The gateway speaks HTTP/1.1: skip the h2c upgrade attempt on plain http.
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** An answer from the gateway, whatever its status. */
    record Response(int status, HttpHeaders headers, byte[] body) {
        boolean ok() {
            return status / 100 == 2;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            JsonNode json = parse(body);
            if (json == null) {
                throw new Failure("the gateway answered HTTP " + status + " with something other than JSON");
            }
            return json;
        }

        /** What the user should read about this error answer. */
        Failure failure() {
            if (status == 401) {
                return new Failure("missing or invalid token (set FN_TOKEN or --token)");
            }
            JsonNode json = parse(body);
            String error = json == null ? null : json.path("error").textValue();
            if (error == null) {
                return new Failure("the gateway answered HTTP " + status);
            }
            if (json.hasNonNull("compiler")) {
                return new Failure("build failed", json.get("compiler").asText());
            }
            String field = json.path("field").textValue();
            return new Failure(field == null ? error : error + " (field " + field + ")", json.path("stderr").textValue());
        }
    }

    /** Sends a request and returns the answer if it is a success, else throws its {@link Failure}. */
    Response send(String method, String path, byte[] body, String... headers) {
        Response response = exchange(method, path, body, headers);
        if (!response.ok()) {
            throw response.failure();
        }
        return response;
    }

    /** Sends a request and returns the answer, success or not. {@code headers} are name, value pairs. */
    Response exchange(String method, String path, byte[] body, String... headers) {
        HttpRequest.Builder request = request(path)
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        HttpResponse<byte[]> response = roundTrip(request.build(), BodyHandlers.ofByteArray());
        return new Response(response.statusCode(), response.headers(), response.body());
    }

    /**
     * Reads a {@code text/event-stream} line by line as the gateway writes it, until the
     * gateway ends it.
     */
    void follow(String path, Consumer<String> line) {
        HttpRequest request = request(path).header("Accept", "text/event-stream").GET().build();
        HttpResponse<Stream<String>> response = roundTrip(request, BodyHandlers.ofLines());
        try (Stream<String> lines = response.body()) {
            if (response.statusCode() / 100 != 2) {
                String body = lines.collect(Collectors.joining("\n"));
                throw new Response(response.statusCode(), response.headers(), body.getBytes(StandardCharsets.UTF_8))
                        .failure();
            }
            lines.forEach(line);
        } catch (UncheckedIOException e) {
            throw lostConnection(e.getCause());
        }
    }

    @Override
    public void close() {
        http.close();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        return request;
    }

    private <T> HttpResponse<T> roundTrip(HttpRequest request, BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new Failure("cannot reach the gateway at " + base + " (is ./fn up running?)");
        } catch (IOException e) {
            throw lostConnection(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        }
    }

    private Failure lostConnection(IOException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new Failure("lost the connection to the gateway at " + base + ": " + why);
    }

    /** The body as JSON, or null when it is not JSON. */
    private static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : JSON.readTree(body);
        } catch (IOException e) {
            // Reading from memory, the only failure is malformed JSON.
            return null;
        }
    }
}
