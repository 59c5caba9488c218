package dev.thaw.gateway.invoke;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Invocation ids: "inv_" and 96 random bits in hex. Not secrets: reading a record needs the admin token. */
public final class InvocationIds {
    private InvocationIds() {}

    public static String next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        HexFormat hex = HexFormat.of();
        return "inv_" + hex.toHexDigits(r.nextLong()) + hex.toHexDigits(r.nextInt());
    }

    public static boolean valid(String id) {
        return id != null && id.matches("inv_[0-9a-f]{24}");
    }
}
