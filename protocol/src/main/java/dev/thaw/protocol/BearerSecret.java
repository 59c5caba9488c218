package dev.thaw.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A shared secret presented as {@code Authorization: Bearer <secret>}: the admin token users
 * hold, and the cluster secret gateways present to invokers. Compared in constant time, so
 * the time of a refusal says nothing about how much of a guess was right.
 */
public final class BearerSecret {
    private static final String SCHEME = "Bearer ";

    private final byte[] secret;

    private BearerSecret(String secret) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code secret} with surrounding white space removed; refuses a blank one. */
    public static BearerSecret of(String secret, String what) {
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        return new BearerSecret(secret.strip());
    }

    /** The secret in {@code file} (a trailing newline is fine). */
    public static BearerSecret read(Path file, String what) throws IOException {
        return of(Files.readString(file), what + " (in " + file + ")");
    }

    /** The secret in {@code file}, or a new random one written there readable by its owner only (0600). */
    public static BearerSecret loadOrCreate(Path file, String prefix, String what) throws IOException {
        if (Files.isRegularFile(file)) {
            return read(file, what);
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String secret = prefix + HexFormat.of().formatHex(random);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, secret + "\n");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return of(secret, what);
    }

    /** True when an Authorization header value carries this secret as a bearer token. */
    public boolean matches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        return MessageDigest.isEqual(secret,
                authorization.substring(SCHEME.length()).strip().getBytes(StandardCharsets.UTF_8));
    }

    /** The Authorization header value that presents this secret. */
    public String authorization() {
        return SCHEME + value();
    }

    public String value() {
        return new String(secret, StandardCharsets.UTF_8);
    }

    /** Never the secret itself, so that logging an object holding one does not leak it. */
    @Override
    public String toString() {
        return "BearerSecret[hidden]";
    }
}
