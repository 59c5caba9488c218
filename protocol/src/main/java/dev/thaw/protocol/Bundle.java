package dev.thaw.protocol;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.io.input.BoundedInputStream;

/**
 * A function as deployed: a gzip-compressed tar of its manifest and files, packed by the CLI
 * and unpacked by the invoker that builds it. The one implementation of the format.
 *
 * <p>Packing takes a folder's regular files by relative path, sorted, with no owner and a zero
 * modification time, so the same files always make the same bytes; hidden files and folders
 * (.git, .vscode, ...), folders named {@code target} (build output) and symbolic links stay
 * behind. Unpacking treats the archive as hostile input: only plain files and directories,
 * relative paths that stay inside the target, bounded sizes and counts, every decompressed
 * byte counted.
 */
public final class Bundle {
    /** The gateway's default cap on a packed bundle ({@code thaw.max-bundle-bytes}). */
    public static final int MAX_PACKED_BYTES = 32 << 20;
    public static final long MAX_UNPACKED_BYTES = 256L * 1024 * 1024;
    public static final int MAX_ENTRIES = 10_000;

    private Bundle() {}

    /**
     * A folder packed for upload.
     *
     * @param bytes the tar.gz, at most {@link #MAX_PACKED_BYTES}
     * @param files the entries' paths, in archive order
     */
    public record Packed(byte[] bytes, List<String> files) {}

    /** The packed bundle would be larger than the gateway accepts. */
    public static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException() {
            super("the bundle is larger than " + (MAX_PACKED_BYTES >> 20) + " MiB, the gateway's limit");
        }
    }

    /** Packs the regular files under {@code dir} (see the class comment for what stays out). */
    public static Packed pack(Path dir) throws IOException {
        try {
            return packCapped(dir);
        } catch (UncheckedIOException e) {
            throw e.getCause(); // the buffer's refusal, thrown through the tar and gzip streams
        }
    }

    private static Packed packCapped(Path dir) throws IOException {
        TreeMap<String, Path> files = regularFiles(dir);
        CappedBuffer buffer = new CappedBuffer();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(buffer))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, Path> file : files.entrySet()) {
                Path path = file.getValue();
                long size = Files.size(path);
                TarArchiveEntry e = new TarArchiveEntry(file.getKey());
                e.setSize(size);
                e.setMode(Files.isExecutable(path) ? 0755 : 0644);
                e.setModTime(0);
                tar.putArchiveEntry(e);
                long copied;
                try (InputStream in = Files.newInputStream(path)) {
                    copied = in.transferTo(tar);
                }
                if (copied != size) {
                    throw new IOException(path + " changed while it was being packed");
                }
                tar.closeArchiveEntry();
            }
        }
        return new Packed(buffer.toByteArray(), List.copyOf(files.keySet()));
    }

    /** The files to pack, by relative path with '/' separators; sorted, so the same folder packs the same way. */
    private static TreeMap<String, Path> regularFiles(Path dir) throws IOException {
        TreeMap<String, Path> files = new TreeMap<>();
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
                    StringJoiner name = new StringJoiner("/");
                    dir.relativize(file).forEach(part -> name.add(part.toString()));
                    files.put(name.toString(), file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return files;
    }

    private static boolean hidden(Path path) {
        return path.getFileName().toString().startsWith(".");
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
            if (count + more > MAX_PACKED_BYTES) {
                throw new UncheckedIOException(new TooLargeException());
            }
        }
    }

    /** The bundle cannot be used; the message says why. */
    public static final class InvalidBundleException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidBundleException(String message) {
            super("bundle: " + message);
        }
    }

    /**
     * Unpacks into the empty directory {@code dir} and returns the function's root: {@code dir}
     * itself, or its single top-level directory when the archive has one and no manifest at
     * the top.
     */
    public static Path unpack(byte[] tarGz, Path dir) throws InvalidBundleException, IOException {
        return unpack(tarGz, dir, MAX_UNPACKED_BYTES);
    }

    static Path unpack(byte[] tarGz, Path dir, long maxUnpackedBytes) throws InvalidBundleException, IOException {
        int entries = 0;
        // Every decompressed byte counts against the cap, not only file contents: directory
        // entries, PAX and long-name headers (which the tar reader holds in memory) and padding.
        try (InputStream gz = BoundedInputStream.builder()
                .setInputStream(new GZIPInputStream(new ByteArrayInputStream(tarGz)))
                .setMaxCount(maxUnpackedBytes)
                .setOnMaxCount((max, count) -> {
                    throw new TooLarge();
                })
                .get();
             TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
            long total = 0;
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (++entries > MAX_ENTRIES) {
                    throw new InvalidBundleException("more than " + MAX_ENTRIES + " entries");
                }
                Path target = inside(dir, e.getName());
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (plainFile(e)) {
                    total += e.getSize();
                    if (total > maxUnpackedBytes) {
                        throw tooLarge(maxUnpackedBytes);
                    }
                    Files.createDirectories(target.getParent());
                    try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
                        tar.transferTo(out);
                    } catch (FileAlreadyExistsException x) {
                        throw new InvalidBundleException("'" + e.getName() + "' appears twice");
                    }
                } else {
                    throw new InvalidBundleException("'" + e.getName()
                            + "' is not a plain file or directory (links and devices are refused)");
                }
            }
        } catch (TooLarge x) {
            throw tooLarge(maxUnpackedBytes);
        } catch (ZipException | EOFException x) {
            throw new InvalidBundleException("not a complete gzip-compressed tar archive");
        } catch (FileSystemException x) {
            throw x; // the host's disk, not the bundle
        } catch (IOException | IllegalArgumentException x) {
            throw new InvalidBundleException("malformed tar archive (" + x.getMessage() + ")");
        }
        if (entries == 0) {
            throw new InvalidBundleException("the archive is empty");
        }
        return root(dir);
    }

    private static InvalidBundleException tooLarge(long max) {
        return new InvalidBundleException("unpacks to more than " + (max >= 1 << 20 ? (max >> 20) + " MiB" : max + " bytes"));
    }

    /** The decompressed stream reached the cap. */
    private static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;
    }

    /** A regular file entry: not a link, device or FIFO (commons-compress calls all of those "files"). */
    private static boolean plainFile(TarArchiveEntry e) {
        byte flag = e.getLinkFlag();
        return flag == TarArchiveEntry.LF_NORMAL || flag == TarArchiveEntry.LF_OLDNORM || flag == TarArchiveEntry.LF_CONTIG;
    }

    /** The entry's path under {@code dir}; refuses absolute paths and any escape with "..". */
    private static Path inside(Path dir, String name) throws InvalidBundleException {
        if (name.isEmpty() || name.startsWith("/") || name.indexOf('\0') >= 0) {
            throw new InvalidBundleException("entry '" + name + "' has an absolute or invalid path");
        }
        Path target = dir.resolve(name).normalize();
        if (!target.startsWith(dir)) {
            throw new InvalidBundleException("entry '" + name + "' points outside the bundle");
        }
        return target;
    }

    private static Path root(Path dir) throws IOException {
        if (Files.exists(dir.resolve("function.json"))) {
            return dir;
        }
        try (var list = Files.list(dir)) {
            List<Path> children = list.toList();
            if (children.size() == 1 && Files.isDirectory(children.get(0))) {
                return children.get(0);
            }
        }
        return dir;
    }
}
