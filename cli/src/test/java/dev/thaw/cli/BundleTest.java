package dev.thaw.cli;

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
class BundleTest {
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

        Bundle bundle = Bundle.pack(dir);

        List<String> names = List.of("function.json", "lib/util.c", "main.c");
        assertEquals(names, bundle.files());
        Map<String, String> files = Bundles.read(bundle.bytes());
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
        assertEquals(Map.of(path, "long"), Bundles.read(Bundle.pack(dir).bytes()));
    }

    @Test
    void pathsUstarCannotHoldAreRefused() throws IOException {
        write("d/" + "f".repeat(120) + ".c", "too long a name for the name field");
        Failure failure = assertThrows(Failure.class, () -> Bundle.pack(dir));
        assertTrue(failure.getMessage().startsWith("path too long for a bundle: d/fff"), failure.getMessage());
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
        byte[] noise = new byte[Bundle.MAX_BYTES + (1 << 20)];
        new Random(1).nextBytes(noise);
        Files.write(dir.resolve("noise.bin"), noise);
        Failure failure = assertThrows(Failure.class, () -> Bundle.pack(dir));
        assertEquals("the bundle is larger than 32 MiB, the gateway's limit", failure.getMessage());
    }
}
