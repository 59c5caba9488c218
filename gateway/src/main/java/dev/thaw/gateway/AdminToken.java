package dev.thaw.gateway;

import dev.thaw.protocol.BearerSecret;

/** The admin token: what the functions API and private functions need. */
public record AdminToken(BearerSecret secret) {
    /** True when an Authorization header value carries the token. */
    public boolean matches(String authorization) {
        return secret.matches(authorization);
    }

    public String value() {
        return secret.value();
    }
}
