package dev.thaw.registry;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The digest recorded for each deployed bundle ({@link FunctionVersion#bundleSha256()}). */
final class BundleDigest {
    private BundleDigest() {}

    /** Lower-case hex SHA-256 of {@code bundle}. */
    static String sha256(byte[] bundle) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bundle));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
