package dev.thaw.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * A function folder packed for upload: a gzip-compressed tar of its regular files, named by
 * their paths relative to the folder. Hidden files and folders (.git, .vscode, ...), folders
 * named {@code target} (build output) and symbolic links stay behind.
 *
 * @param bytes the tar.gz, at most {@link #MAX_BYTES}
 * @param files the entries' paths, in archive order
 */
record Bundle(byte[] bytes, List<String> files) {
    /** The gateway's default cap on a bundle ({@code thaw.max-bundle-bytes}). */
    static final int MAX_BYTES = 32 << 20;

    static Bundle pack(Path dir) {
        TreeMap<String, Path> files = regularFiles(dir);
        CappedBuffer buffer = new CappedBuffer();
        try (TarWriter tar = new TarWriter(new GZIPOutputStream(buffer))) {
            for (var file : files.entrySet()) {
                tar.add(file.getKey(), file.getValue());
            }
        } catch (FileSystemException e) {
            throw Failure.io("cannot pack " + e.getFile(), e);
        } catch (IOException e) {
            throw Failure.io("cannot pack " + dir, e);
        }
        return new Bundle(buffer.toByteArray(), List.copyOf(files.keySet()));
    }

    /** The files to pack, by relative path; sorted, so that the same folder packs the same way. */
    private static TreeMap<String, Path> regularFiles(Path dir) {
        TreeMap<String, Path> files = new TreeMap<>();
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    boolean skipped = !d.equals(dir) && (hidden(d) || d.getFileName().toString().equals("target"));
                    return skipped ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    // Links are not followed, so a symbolic link arrives here as itself and is left out.
                    if (attrs.isRegularFile() && !hidden(file)) {
                        files.put(entryName(dir.relativize(file)), file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (FileSystemException e) {
            throw Failure.io("cannot read " + e.getFile(), e);
        } catch (IOException e) {
            throw Failure.io("cannot read " + dir, e);
        }
        return files;
    }

    private static boolean hidden(Path path) {
        return path.getFileName().toString().startsWith(".");
    }

    /** A relative path with '/' between its parts, whatever the platform's separator. */
    private static String entryName(Path relative) {
        StringJoiner name = new StringJoiner("/");
        relative.forEach(part -> name.add(part.toString()));
        return name.toString();
    }

    /** Collects the compressed archive, refusing it as soon as it outgrows what the gateway accepts. */
    private static final class CappedBuffer extends ByteArrayOutputStream {
        @Override
        public synchronized void write(int b) {
            ensureRoom(1);
            super.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            ensureRoom(len);
            super.write(b, off, len);
        }

        private void ensureRoom(int more) {
            if (count + more > MAX_BYTES) {
                throw new Failure("the bundle is larger than " + (MAX_BYTES >> 20) + " MiB, the gateway's limit");
            }
        }
    }
}
