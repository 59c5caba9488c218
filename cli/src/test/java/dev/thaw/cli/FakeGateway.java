package dev.thaw.cli;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the gateway on 127.0.0.1: answers each route the way a test tells it to
 * (as docs/API.md says the gateway would) and records every request the CLI sent.
 */
final class FakeGateway implements AutoCloseable {
    /** A request as the server received it. */
    record Request(String method, String path, String query, Headers headers, byte[] body) {
        String header(String name) {
            return headers.getFirst(name);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final HttpServer server;
    private final Map<String, HttpHandler> routes = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    FakeGateway() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers {@code method path} (without the query) with a JSON body, or none when null. */
    FakeGateway answer(String method, String path, int status, String json, String... headers) {
        return answer(method, path, status, json == null ? null : json.getBytes(StandardCharsets.UTF_8),
                "application/json", headers);
    }

    /** Answers {@code method path} with {@code body} of {@code contentType}, plus header name, value pairs. */
    FakeGateway answer(String method, String path, int status, byte[] body, String contentType, String... headers) {
        return route(method, path, exchange -> {
            for (int i = 0; i < headers.length; i += 2) {
                exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
            }
            if (body == null) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
    }

    /** Answers {@code method path} with a handler of the test's own, for streams and delays. */
    FakeGateway route(String method, String path, HttpHandler handler) {
        routes.put(method + " " + path, handler);
        return this;
    }

    List<Request> requests() {
        return requests;
    }

    /** The one request the CLI sent. */
    Request request() {
        if (requests.size() != 1) {
            throw new AssertionError("expected one request, got " + requests.size() + ": " + requests);
        }
        return requests.getFirst();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            requests.add(new Request(method, path, exchange.getRequestURI().getRawQuery(),
                    exchange.getRequestHeaders(), exchange.getRequestBody().readAllBytes()));
            HttpHandler handler = routes.get(method + " " + path);
            if (handler == null) {
                byte[] body = "{\"error\": \"no such route in the test\"}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(404, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            handler.handle(exchange);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
