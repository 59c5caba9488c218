package dev.thaw.snapshotter;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Snapshots on this host, each in a directory named by the hash of its inputs. A directory
 * appears complete or not at all: it is written under a temporary name and renamed.
 */
public final class SnapshotStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    /**
     * The function each snapshot directory was built for, by directory name, as read from its
     * manifest once: a snapshot never changes, and collecting after every deploy must not
     * read every snapshot's manifest again (10,000 functions made that quadratic).
     */
    private final Map<String, String> functionByDir = new ConcurrentHashMap<>();

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

    /**
     * Deletes the snapshots of {@code function} (named in each snapshot's manifest.json) that
     * are not in {@code keep}, and returns how many. The caller makes sure that none of them
     * is being opened meanwhile.
     */
    public int collect(String function, Set<Path> keep) throws IOException {
        int deleted = 0;
        Set<Path> kept = keep.stream().map(p -> p.toAbsolutePath().normalize()).collect(java.util.stream.Collectors.toSet());
        List<Path> dirs;
        try (Stream<Path> list = Files.list(root)) {
            dirs = list.filter(d -> !d.getFileName().toString().startsWith(".")).toList();
        }
        for (Path dir : dirs) {
            String name = dir.getFileName().toString();
            String of = functionByDir.get(name);
            if (of == null && Files.isDirectory(dir)) {
                of = functionOf(dir);
                if (of != null) {
                    functionByDir.put(name, of);
                }
            }
            if (function.equals(of) && !kept.contains(dir.toAbsolutePath().normalize())) {
                functionByDir.remove(name);
                delete(dir);
                deleted++;
            }
        }
        return deleted;
    }

    /** The function a snapshot was built for, from its manifest.json; null when unreadable. */
    private static String functionOf(Path dir) {
        try {
            return JSON.readTree(Files.readString(dir.resolve(SnapshotBuilder.BOOT_MANIFEST))).path("name").asText(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
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
