package dev.thaw.protocol;

/**
 * The invoker's HTTP API as gateways call it (HTTP/1.1, keep-alive):
 * <pre>
 *   POST   /v1/invoke/{name}/{version}   body: stdin; 200 with the encoded result
 *   POST   /v1/build/{name}              body: bundle; 200 with the build outcome, or an error
 *   DELETE /v1/functions/{name}          drop this host's shells of the function
 *   GET    /v1/health                    {"id", "capacity", "in_flight"}; needs no secret (probes)
 *   GET    /v1/metrics                   Prometheus text: this host's pools per function; needs no secret
 * </pre>
 * Every call but health and metrics carries the cluster secret ({@link #AUTHORIZATION}); without
 * it the invoker answers 401 and does nothing.
 */
public final class InvokerApi {
    private InvokerApi() {}

    /** The header carrying the cluster secret, as {@code Bearer <secret>}. */
    public static final String AUTHORIZATION = "Authorization";

    /**
     * Milliseconds the invocation may still take, counted by the gateway from when it admitted
     * the request: time spent queued or in transit counts against the function's timeout. A
     * relative figure, so the hosts' clocks need not agree.
     */
    public static final String DEADLINE_MS = "Thaw-Deadline-Ms";

    /** The environment variable a gateway or invoker reads the cluster secret from. */
    public static final String SECRET_ENV = "THAW_CLUSTER_SECRET";
}
