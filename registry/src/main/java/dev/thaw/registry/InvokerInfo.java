package dev.thaw.registry;

import java.time.Instant;

/**
 * An invoker as it announces itself.
 *
 * @param id       unique per invoker process
 * @param url      where gateways reach it, e.g. http://127.0.0.1:9001
 * @param capacity invocations it runs at once (its runner threads)
 * @param inFlight invocations queued or running there when it last reported
 * @param seen     when it last reported
 */
public record InvokerInfo(String id, String url, int capacity, int inFlight, Instant seen) {}
