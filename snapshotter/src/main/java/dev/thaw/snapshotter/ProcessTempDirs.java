package dev.thaw.snapshotter;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Temporary directories named after the process that made them ({@code prefix-PID-random}).
 * A process killed before it could remove its own (an invoker stopped with SIGKILL) leaves
 * them behind: the next one to make a directory with the same prefix removes those of
 * processes that no longer exist, so they do not pile up in /tmp.
 */
final class ProcessTempDirs {
    /** Prefixes already swept by this process: orphans come from processes that died before it started. */
    private static final Set<String> SWEPT = ConcurrentHashMap.newKeySet();

    private ProcessTempDirs() {}

    static Path create(String prefix) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        if (SWEPT.add(prefix)) {
            removeOrphans(tmp, prefix);
        }
        return Files.createTempDirectory(tmp, prefix + ProcessHandle.current().pid() + "-");
    }

    private static void removeOrphans(Path tmp, String prefix) {
        Object self;
        try {
            self = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, prefix + "*")) {
            for (Path dir : dirs) {
                String rest = dir.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash > 0 ? rest.substring(0, dash) : "");
                } catch (NumberFormatException e) {
                    continue;
                }
                // only our own directories: /tmp is everyone's, and a name proves nothing
                PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isDirectory() && self.equals(Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                        && ProcessHandle.of(pid).isEmpty()) {
                    SnapshotStore.delete(dir);
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort: a leftover directory costs disk space, not correctness
        }
    }
}
