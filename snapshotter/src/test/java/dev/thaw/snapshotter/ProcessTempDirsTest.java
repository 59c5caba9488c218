package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessTempDirsTest {
    @Test
    void theDirectoriesOfAProcessThatDiedAreRemovedByTheNextOne() throws Exception {
        String prefix = "thaw-test-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(30, TimeUnit.SECONDS));
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path orphan = Files.createDirectories(tmp.resolve(prefix + gone.pid() + "-1/src"));
        Path alive = Files.createDirectories(tmp.resolve(prefix + ProcessHandle.current().pid() + "-1"));
        Path notANumber = Files.createDirectories(tmp.resolve(prefix + "check-1"));
        try {
            Path made = ProcessTempDirs.create(prefix);
            assertFalse(Files.exists(orphan.getParent()), "the dead process's directory is still there");
            assertTrue(Files.isDirectory(alive));
            assertTrue(Files.isDirectory(notANumber));
            assertTrue(made.getFileName().toString().startsWith(prefix + ProcessHandle.current().pid() + "-"));
            assertEquals(tmp, made.getParent());
            SnapshotStore.delete(made);
        } finally {
            SnapshotStore.delete(orphan.getParent());
            SnapshotStore.delete(alive);
            SnapshotStore.delete(notANumber);
        }
    }
}
