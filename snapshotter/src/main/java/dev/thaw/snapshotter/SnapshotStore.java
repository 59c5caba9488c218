package dev.thaw.snapshotter;

import dev.thaw.invoker.snapshot.SnapshotFormat;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Snapshots on this host, each in a directory named by the hash of its inputs. A directory
 * appears complete or not at all: it is written under a temporary name and renamed.
 */
public final class SnapshotStore {
    private final Path root;

    public SnapshotStore(Path root) throws IOException {
        this.root = Files.createDirectories(root);
    }

    public Path root() {
        return root;
    }

    public Path path(String key) {
        return root.resolve(key);
    }

    /** True when a complete snapshot with this key exists. */
    public boolean contains(String key) {
        return Files.isRegularFile(path(key).resolve(SnapshotFormat.STATE_FILE));
    }

    /** A fresh empty directory to write a snapshot into before {@link #publish}. */
    public Path staging(String key) throws IOException {
        return Files.createTempDirectory(root, "." + key + ".tmp-");
    }

    /** Moves a complete staging directory to its final name; if another build won, keeps that one. */
    public Path publish(Path staging, String key) throws IOException {
        Path target = path(key);
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            delete(staging);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("snapshot store " + root + " does not support atomic renames", e);
        } catch (FileSystemException e) {
            // rename(2) onto a complete snapshot fails with ENOTEMPTY, which Java reports only as this
            if (!contains(key)) {
                throw e;
            }
            delete(staging);
        }
        return target;
    }

    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
