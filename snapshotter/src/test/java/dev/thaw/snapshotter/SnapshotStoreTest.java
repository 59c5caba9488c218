package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.thaw.invoker.snapshot.SnapshotFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
    @TempDir
    Path tmp;

    @Test
    void aBuildThatLosesThePublishRaceKeepsTheWinnersSnapshot() throws Exception {
        SnapshotStore store = new SnapshotStore(tmp);
        Path first = store.staging("k");
        Files.writeString(first.resolve(SnapshotFormat.STATE_FILE), "first");
        Path second = store.staging("k");
        Files.writeString(second.resolve(SnapshotFormat.STATE_FILE), "second");

        assertEquals(store.path("k"), store.publish(first, "k"));
        assertEquals(store.path("k"), store.publish(second, "k"));
        assertEquals("first", Files.readString(store.path("k").resolve(SnapshotFormat.STATE_FILE)));
        assertFalse(Files.exists(second), "the loser's staging directory was left behind");
    }
}
