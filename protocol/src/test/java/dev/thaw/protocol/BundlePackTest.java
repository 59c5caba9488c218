package dev.thaw.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packing a function folder: what goes in, under which names, and what stays out. */
class BundlePackTest {
    /** Entry name to content, in archive order, read by commons-compress's reader (not the writer under test). */
    static Map<String, String> read(byte[] tarGz) throws IOException {
        Map<String, String> files = new java.util.LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GzipCompressorInputStream(new ByteArrayInputStream(tarGz)))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                if (!entry.isFile() || entry.getName().startsWith("/") || entry.getName().contains("..")) {
                    throw new AssertionError("unexpected entry " + entry.getName());
                }
                files.put(entry.getName(), new String(tar.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return files;
    }

    @TempDir
    Path dir;

    private void write(String path, String content) throws IOException {
        Path file = dir.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    @Test
    void packsRegularFilesByRelativePathAndLeavesOutHiddenTargetAndLinks() throws IOException {
        write("function.json", "{\"name\": \"hello\"}");
        write("main.c", "int main(void) { return 0; }");
        write("lib/util.c", "int util;");
        write("lib/.cache", "hidden file in a subfolder");
        write(".env", "hidden file");
        write(".git/config", "hidden folder");
        write("target/main.o", "build output");
        write("lib/target/util.o", "build output deeper down");
        Files.createSymbolicLink(dir.resolve("link.c"), dir.resolve("main.c"));
        Files.createSymbolicLink(dir.resolve("linked-dir"), dir.resolve("lib"));

        Bundle.Packed bundle = Bundle.pack(dir);

        List<String> names = List.of("function.json", "lib/util.c", "main.c");
        assertEquals(names, bundle.files());
        Map<String, String> files = read(bundle.bytes());
        assertEquals(names, List.copyOf(files.keySet()));
        assertEquals("int util;", files.get("lib/util.c"));
        assertEquals("int main(void) { return 0; }", files.get("main.c"));
    }

    @Test
    void sameFolderPacksToTheSameBytes() throws IOException {
        write("function.json", "{\"name\": \"hello\"}");
        write("a/b/c.c", "int c;");
        assertArrayEquals(Bundle.pack(dir).bytes(), Bundle.pack(dir).bytes());
    }

    @Test
    void longPathsAreSplitIntoPrefixAndName() throws IOException {
        String path = "d".repeat(60) + "/" + "e".repeat(60) + "/" + "f".repeat(90) + ".c";
        write(path, "long");
        assertEquals(Map.of(path, "long"), read(Bundle.pack(dir).bytes()));
    }

    @Test
    void pathsLongerThanUstarHoldsTravelInPaxHeaders() throws IOException {
        String path = "d/" + "f".repeat(120) + ".c";
        write(path, "a long name");
        assertEquals(Map.of(path, "a long name"), read(Bundle.pack(dir).bytes()));
    }

    @Test
    void keepsTheExecutableBit() throws IOException {
        write("fn", "\u007fELF");
        write("main.c", "");
        Files.setPosixFilePermissions(dir.resolve("fn"), PosixFilePermissions.fromString("rwxr-xr-x"));
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GzipCompressorInputStream(new ByteArrayInputStream(Bundle.pack(dir).bytes())))) {
            TarArchiveEntry binary = tar.getNextEntry();
            assertEquals("fn", binary.getName());
            assertEquals(0755, binary.getMode());
            assertEquals(0644, tar.getNextEntry().getMode());
        }
    }

    @Test
    void systemTarReadsIt(@TempDir Path elsewhere) throws Exception {
        write("function.json", "{}");
        write("src/main.c", "");
        Path archive = elsewhere.resolve("bundle.tar.gz");
        Files.write(archive, Bundle.pack(dir).bytes());
        Process tar = new ProcessBuilder("tar", "-tzf", archive.toString()).redirectErrorStream(true).start();
        String listing = new String(tar.getInputStream().readAllBytes());
        assertEquals(0, tar.waitFor(), listing);
        assertEquals(List.of("function.json", "src/main.c"), listing.lines().toList());
    }

    @Test
    void refusesBundlesOverTheGatewaysLimit() throws IOException {
        byte[] noise = new byte[Bundle.MAX_PACKED_BYTES + (1 << 20)];
        new Random(1).nextBytes(noise);
        Files.write(dir.resolve("noise.bin"), noise);
        IOException failure = assertThrows(Bundle.TooLargeException.class, () -> Bundle.pack(dir));
        assertEquals("the bundle is larger than 32 MiB, the gateway's limit", failure.getMessage());
    }
}
