package dev.thaw.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerSecretTest {
    @TempDir
    Path dir;

    @Test
    void matchesOnlyItsOwnBearerToken() {
        BearerSecret s = BearerSecret.of(" s3cret\n", "the secret");
        assertTrue(s.matches("Bearer s3cret"));
        assertTrue(s.matches("bearer s3cret "));
        assertFalse(s.matches("Bearer s3cre"));
        assertFalse(s.matches("Bearer s3cretx"));
        assertFalse(s.matches("Basic s3cret"));
        assertFalse(s.matches("s3cret"));
        assertFalse(s.matches(null));
        assertEquals("Bearer s3cret", s.authorization());
        assertFalse(s.toString().contains("s3cret"));
    }

    @Test
    void refusesABlankSecretNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BearerSecret.of(" \n", "the cluster secret"));
        assertEquals("the cluster secret must not be blank", e.getMessage());
    }

    @Test
    void createsARandomSecretReadableByItsOwnerOnlyAndReadsItBack() throws Exception {
        Path file = dir.resolve("state/admin-token");
        BearerSecret created = BearerSecret.loadOrCreate(file, "thaw_", "the admin token");
        assertTrue(created.value().startsWith("thaw_") && created.value().length() > 40, created.value());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(created.value(), BearerSecret.loadOrCreate(file, "thaw_", "the admin token").value());
    }
}
