package dev.thaw.gatling;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** A function bundle as the deploy API takes it: a gzip-compressed tar, files at its top level. */
final class Bundle {
    private Bundle() {}

    /** The regular files directly in {@code dir} (a function's directory: function.json and its sources). */
    static byte[] ofDirectory(Path dir) {
        Map<String, byte[]> files = new TreeMap<>();
        try (var list = Files.list(dir)) {
            for (Path p : list.filter(Files::isRegularFile).toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the function in " + dir, e);
        }
        return of(files);
    }

    static byte[] of(Map<String, byte[]> files) {
        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bundle))) {
            for (var file : new TreeMap<>(files).entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(file.getKey());
                e.setSize(file.getValue().length);
                tar.putArchiveEntry(e);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pack a bundle of " + files.keySet(), e);
        }
        return bundle.toByteArray();
    }
}
