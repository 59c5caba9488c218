package dev.thaw.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundles are hostile input: only plain files that stay inside the target get out. */
class BundleTest {
    @TempDir
    Path dir;

    private interface Entries {
        void write(TarArchiveOutputStream tar) throws Exception;
    }

    private static byte[] tarGz(Entries entries) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            entries.write(tar);
        }
        return bytes.toByteArray();
    }

    private static void file(TarArchiveOutputStream tar, String name, String content) throws Exception {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    private String refusal(Entries entries) throws Exception {
        byte[] bundle = tarGz(entries);
        return assertThrows(Bundle.InvalidBundleException.class, () -> Bundle.unpack(bundle, dir)).getMessage();
    }

    @Test
    void unpacksFilesAndFindsTheRootInsideOneTopLevelDirectory() throws Exception {
        Path root = Bundle.unpack(tarGz(t -> {
            file(t, "hello/function.json", "{}");
            file(t, "hello/src/main.c", "int main(){}");
        }), dir);
        assertEquals(dir.resolve("hello"), root);
        assertEquals("int main(){}", Files.readString(root.resolve("src/main.c")));
    }

    @Test
    void refusesEscapesLinksDuplicatesAndGarbage() throws Exception {
        assertTrue(refusal(t -> file(t, "../outside", "x")).contains("points outside the bundle"));
        assertTrue(refusal(t -> file(t, "a/../../outside", "x")).contains("points outside the bundle"));
        assertTrue(refusal(t -> {
            TarArchiveEntry absolute = new TarArchiveEntry("/etc/passwd", true); // keep the leading slash
            absolute.setSize(1);
            t.putArchiveEntry(absolute);
            t.write('x');
            t.closeArchiveEntry();
        }).contains("absolute"));
        assertTrue(refusal(t -> {
            TarArchiveEntry link = new TarArchiveEntry("link", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("/etc/shadow");
            t.putArchiveEntry(link);
            t.closeArchiveEntry();
        }).contains("links and devices are refused"));
        assertTrue(refusal(t -> {
            file(t, "twice", "a");
            file(t, "twice", "b");
        }).contains("appears twice"));
        assertTrue(refusal(t -> { }).contains("empty"));
        assertTrue(assertThrows(Bundle.InvalidBundleException.class,
                () -> Bundle.unpack("plain text".getBytes(), dir)).getMessage().contains("not a complete gzip"));
        assertTrue(Files.notExists(dir.resolveSibling("outside")));
    }

    @Test
    void refusesArchivesThatUnpackTooLarge() throws Exception {
        // A real one-file tar whose header then claims 300 GB: refused from the header alone.
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(raw)) {
            file(tar, "huge", "x");
        }
        byte[] header = raw.toByteArray();
        byte[] size = String.format("%011o\0", 300_000_000_000L).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(size, 0, header, 124, 12);
        java.util.Arrays.fill(header, 148, 156, (byte) ' ');
        int sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += header[i] & 0xff;
        }
        System.arraycopy(String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII), 0, header, 148, 8);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(header);
        }
        String m = assertThrows(Bundle.InvalidBundleException.class, () -> Bundle.unpack(gz.toByteArray(), dir)).getMessage();
        assertTrue(m.contains("unpacks to more than 256 MiB"), m);
    }

    @Test
    void everyDecompressedByteCountsAgainstTheCapDirectoriesAndPaxHeadersToo() throws Exception {
        byte[] directories = tarGz(tar -> {
            file(tar, "function.json", "{}");
            for (int i = 0; i < 2000; i++) {
                TarArchiveEntry d = new TarArchiveEntry("d" + i + "/");
                d.addPaxHeader("comment", "x".repeat(1000));
                tar.putArchiveEntry(d);
                tar.closeArchiveEntry();
            }
        });
        Bundle.InvalidBundleException e = assertThrows(Bundle.InvalidBundleException.class,
                () -> Bundle.unpack(directories, Files.createDirectory(dir.resolve("a")), 1 << 20));
        assertTrue(e.getMessage().contains("unpacks to more than 1 MiB"), e.getMessage());

        byte[] header = tarGz(tar -> {
            TarArchiveEntry f = new TarArchiveEntry("function.json");
            f.addPaxHeader("comment", "y".repeat(2 << 20));
            f.setSize(2);
            tar.putArchiveEntry(f);
            tar.write("{}".getBytes(StandardCharsets.UTF_8));
            tar.closeArchiveEntry();
        });
        e = assertThrows(Bundle.InvalidBundleException.class,
                () -> Bundle.unpack(header, Files.createDirectory(dir.resolve("b")), 1 << 20));
        assertTrue(e.getMessage().contains("unpacks to more than 1 MiB"), e.getMessage());
    }
}
