package dev.thaw.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

/** An error the API reports as-is: a status, a one-line message, and optional extra fields. */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final transient Map<String, Object> extra;
    private final transient Map<String, String> headers;

    public ApiException(int status, String error) {
        this(status, error, Map.of(), Map.of());
    }

    public ApiException(int status, String error, Map<String, Object> extra, Map<String, String> headers) {
        super(error, null, false, false); // a stack trace would never be shown
        this.status = status;
        this.extra = extra;
        this.headers = headers;
    }

    public int status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The JSON body: {"error": ..., extra fields...}. */
    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", getMessage());
        body.putAll(extra);
        return body;
    }
}
