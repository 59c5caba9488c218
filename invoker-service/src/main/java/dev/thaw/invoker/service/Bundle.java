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
        int entries = 0;
        try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(tarGz));
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
                    if (total > MAX_UNPACKED_BYTES) {
                        throw new InvalidBundleException("unpacks to more than " + (MAX_UNPACKED_BYTES >> 20) + " MiB");
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
