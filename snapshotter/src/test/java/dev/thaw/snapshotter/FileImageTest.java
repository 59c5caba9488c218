package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.thaw.invoker.testing.CProbe;
import dev.thaw.invoker.testing.LayoutProbe;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The file image's Java writer matches unikernel-base/include/thaw/fsimage.h. */
class FileImageTest {
    @Test
    void javaMirrorMatchesTheHeader() throws Exception {
        LayoutProbe probe = new LayoutProbe()
                .struct(FileImage.HEADER, "thaw_fs_header", true, Set.of())
                .struct(FileImage.NODE, "thaw_fs_node", true, Set.of())
                .constant("THAW_FS_MAGIC", "THAW_FS_MAGIC", FileImage.MAGIC)
                .constant("THAW_FS_VERSION", "THAW_FS_VERSION", FileImage.VERSION)
                .constant("THAW_FS_DIR", "THAW_FS_DIR", FileImage.DIR)
                .constant("THAW_FS_FILE", "THAW_FS_FILE", FileImage.FILE)
                .constant("THAW_FS_EXEC", "THAW_FS_EXEC", FileImage.EXEC);
        Path include = TestSnapshots.root().resolve("unikernel-base/include");
        Map<String, Long> gcc = CProbe.run(probe.program("thaw/fsimage.h"), include.toString());
        assertEquals("", probe.mismatches(gcc));
    }

    /** Reads the image back the way the guest does: node i's name, mode, data, size. */
    private record Node(String name, int mode, int parent, long data, long size) {}

    private static List<Node> nodes(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(FileImage.MAGIC, b.getLong(0));
        int count = b.getInt(12);
        long nodesAt = b.getLong(16);
        long namesAt = b.getLong(24);
        assertEquals(image.length, b.getLong(40));
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = (int) (nodesAt + i * FileImage.NODE.byteSize());
            String name = new String(image, (int) (namesAt + b.getLong(at + 8)), b.getInt(at + 16), StandardCharsets.UTF_8);
            out.add(new Node(name, b.getInt(at), b.getInt(at + 4), b.getLong(at + 24), b.getLong(at + 32)));
        }
        return out;
    }

    @Test
    void directoriesAreBreadthFirstWithSortedConsecutiveChildren() {
        byte[] image = new FileImage.Builder()
                .file("/function/b.txt", "bee".getBytes(StandardCharsets.UTF_8), false)
                .file("/function/a/z.py", new byte[0], false)
                .file("/function/run", "#!".getBytes(StandardCharsets.UTF_8), true)
                .directory("/tmp")
                .build(0);
        List<Node> n = nodes(image);
        assertEquals(List.of("", "function", "tmp", "a", "b.txt", "run", "z.py"), n.stream().map(Node::name).toList());
        assertEquals(new Node("", FileImage.DIR, 0, 1, 2), n.get(0));
        assertEquals(new Node("function", FileImage.DIR, 0, 3, 3), n.get(1));
        assertEquals(new Node("tmp", FileImage.DIR, 0, 6, 0), n.get(2));
        assertEquals(FileImage.EXEC, n.get(5).mode());
        Node bee = n.get(4);
        assertEquals(0, bee.data() % 16);
        assertEquals("bee", new String(image, (int) bee.data(), (int) bee.size(), StandardCharsets.UTF_8));
        assertEquals(3, n.get(6).parent());
    }

    @Test
    void badPathsAreRefused() {
        FileImage.Builder b = new FileImage.Builder().file("/x", new byte[1], false);
        assertThrows(IllegalArgumentException.class, () -> b.file("/x", new byte[1], false));
        assertThrows(IllegalArgumentException.class, () -> b.file("/x/y", new byte[1], false));
        assertThrows(IllegalArgumentException.class, () -> b.file("/a/../b", new byte[1], false));
        assertThrows(IllegalArgumentException.class, () -> b.file("relative", new byte[1], false));
        assertThrows(IllegalArgumentException.class, () -> b.file("/" + "n".repeat(256), new byte[1], false));
    }
}
