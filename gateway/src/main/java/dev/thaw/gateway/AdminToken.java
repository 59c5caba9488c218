package dev.thaw.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/** The admin token: compared in constant time; generated and kept in the state directory when not configured. */
public final class AdminToken {
    private final byte[] token;

    private AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    public static AdminToken of(String token) {
        if (token.isBlank()) {
            throw new IllegalArgumentException("the admin token must not be blank");
        }
        return new AdminToken(token.strip());
    }

    /** The token in {@code file}, or a new random one written there (mode 0600). */
    public static AdminToken loadOrCreate(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            return of(Files.readString(file));
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String token = "thaw_" + HexFormat.of().formatHex(random);
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), ".admin-token", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, token + "\n");
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return of(token);
    }

    /** True when the Authorization header carries this token as a bearer token. */
    public boolean matches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token, authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8));
    }

    public String value() {
        return new String(token, StandardCharsets.UTF_8);
    }
}
