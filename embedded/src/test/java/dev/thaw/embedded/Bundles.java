package dev.thaw.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Bundles for tests: tar.gz archives built from a function folder or from literal files. */
final class Bundles {
    private Bundles() {}

    static byte[] of(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** A function folder of this repository, e.g. "functions/hello". */
    static byte[] folder(String relative) throws IOException {
        Path dir = Path.of(System.getProperty("thaw.root", "..")).resolve(relative);
        Map<String, String> files = new LinkedHashMap<>();
        try (var list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                files.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        return of(files);
    }

    /** A C function: its manifest fields (JSON object members) and its main.c. */
    static byte[] function(String manifestMembers, String mainC) throws IOException {
        return of(Map.of("function.json", "{" + manifestMembers + "}", "main.c", mainC));
    }
}
