package dev.thaw.invoker.service;

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
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.io.input.BoundedInputStream;

/**
 * A function as deployed: a gzip-compressed tar of its manifest and files. Unpacking treats
 * it as hostile input: only plain files and directories, relative paths that stay inside the
 * target, bounded sizes and counts.
 */
public final class Bundle {
    public static final long MAX_UNPACKED_BYTES = 256L * 1024 * 1024;
    public static final int MAX_ENTRIES = 10_000;

    private Bundle() {}

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
