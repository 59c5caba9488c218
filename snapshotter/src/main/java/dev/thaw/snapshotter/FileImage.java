package dev.thaw.snapshotter;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.StructLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The read-only file image a guest sees as its file system: the format of
 * {@code unikernel-base/include/thaw/fsimage.h} (mirrored here and checked by
 * FileImageTest against the header), and a builder. The image is placed in guest memory
 * before boot, so it is part of the snapshot and shared by every shell through the page
 * cache.
 */
public final class FileImage {
    public static final long MAGIC = 0x31534657414854L;
    public static final int VERSION = 1;
    public static final int DIR = 040555;
    public static final int FILE = 0100444;
    public static final int EXEC = 0100555;
    /** Longest name of a file or directory, as on Linux. */
    public static final int NAME_MAX = 255;

    public static final StructLayout HEADER = structLayout(
            JAVA_LONG.withName("magic"), JAVA_INT.withName("version"), JAVA_INT.withName("node_count"),
            JAVA_LONG.withName("nodes"), JAVA_LONG.withName("names"), JAVA_LONG.withName("names_size"),
            JAVA_LONG.withName("size"), JAVA_LONG.withName("mtime_ns"))
            .withName("thaw_fs_header");

    public static final StructLayout NODE = structLayout(
            JAVA_INT.withName("mode"), JAVA_INT.withName("parent"), JAVA_LONG.withName("name"),
            JAVA_INT.withName("name_len"), JAVA_INT.withName("reserved"), JAVA_LONG.withName("data"),
            JAVA_LONG.withName("size"))
            .withName("thaw_fs_node");

    private static final int DATA_ALIGN = 16;

    private FileImage() {}

    /** A tree of files under construction; paths are absolute guest paths like "/function/x.py". */
    public static final class Builder {
        private final Dir root = new Dir();
        private long totalBytes;
        private int files;

        private static final class Dir {
            final TreeMap<String, Object> children = new TreeMap<>(Builder::compareUtf8);
        }

        private record File(byte[] bytes, boolean executable) {}

        private static int compareUtf8(String a, String b) {
            return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
        }

        /** Adds an empty directory (and its parents). */
        public Builder directory(String path) {
            Dir d = root;
            for (String part : parts(path)) {
                d = subdirectory(d, part, path);
            }
            return this;
        }

        /** Adds a file; its parents are created. A second file at the same path is an error. */
        public Builder file(String path, byte[] bytes, boolean executable) {
            List<String> parts = parts(path);
            if (parts.isEmpty()) {
                throw new IllegalArgumentException("'" + path + "' is not a file path");
            }
            Dir d = root;
            for (String part : parts.subList(0, parts.size() - 1)) {
                d = subdirectory(d, part, path);
            }
            String name = parts.getLast();
            if (d.children.containsKey(name)) {
                throw new IllegalArgumentException("'" + path + "' is in the image twice");
            }
            d.children.put(name, new File(bytes, executable));
            totalBytes += bytes.length;
            files++;
            return this;
        }

        /**
         * Adds every regular file under {@code hostDir} below {@code guestDir}. Symbolic links
         * and other special files are refused: the image holds plain files only.
         */
        public Builder tree(String guestDir, Path hostDir) throws IOException {
            return tree(guestDir, hostDir, rel -> true);
        }

        /** As {@link #tree(String, Path)}, with only the paths (relative to hostDir) that {@code keep} accepts. */
        public Builder tree(String guestDir, Path hostDir, Predicate<Path> keep) throws IOException {
            directory(guestDir);
            List<Path> paths;
            try (Stream<Path> walk = Files.walk(hostDir)) {
                paths = walk.sorted().toList();
            }
            for (Path p : paths) {
                String rel = hostDir.relativize(p).toString();
                if (rel.isEmpty() || !keep.test(hostDir.relativize(p))) {
                    continue;
                }
                String guest = guestDir + "/" + rel;
                if (Files.isSymbolicLink(p)) {
                    throw new IOException("'" + rel + "' in " + hostDir + " is a symbolic link; the image holds plain files only");
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    directory(guest);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    file(guest, Files.readAllBytes(p), Files.isExecutable(p));
                } else {
                    throw new IOException("'" + rel + "' in " + hostDir + " is not a regular file");
                }
            }
            return this;
        }

        public long fileBytes() {
            return totalBytes;
        }

        public int fileCount() {
            return files;
        }

        private static Dir subdirectory(Dir d, String part, String path) {
            Object o = d.children.computeIfAbsent(part, k -> new Dir());
            if (!(o instanceof Dir sub)) {
                throw new IllegalArgumentException("'" + path + "': '" + part + "' is a file, not a directory");
            }
            return sub;
        }

        private static List<String> parts(String path) {
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("'" + path + "' is not an absolute path");
            }
            List<String> out = new ArrayList<>();
            for (String part : path.split("/")) {
                if (part.isEmpty()) {
                    continue;
                }
                if (part.equals(".") || part.equals("..") || part.indexOf('\0') >= 0
                        || part.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
                    throw new IllegalArgumentException("'" + path + "' has an invalid component '" + part + "'");
                }
                out.add(part);
            }
            return out;
        }

        /**
         * The image's bytes. Directories are numbered breadth first, so the children of each
         * are consecutive nodes, in the order of their UTF-8 names.
         */
        public byte[] build(long mtimeNanos) {
            record Entry(String name, Object what, int parent) {}
            List<Entry> nodes = new ArrayList<>();
            nodes.add(new Entry("", root, 0));
            List<long[]> dirInfo = new ArrayList<>(); // per node: first child, count (directories)
            Deque<Integer> queue = new ArrayDeque<>();
            queue.add(0);
            dirInfo.add(null);
            while (!queue.isEmpty()) {
                int index = queue.poll();
                Dir d = (Dir) nodes.get(index).what();
                dirInfo.set(index, new long[] {nodes.size(), d.children.size()});
                for (var e : d.children.entrySet()) {
                    int at = nodes.size();
                    nodes.add(new Entry(e.getKey(), e.getValue(), index));
                    dirInfo.add(null);
                    if (e.getValue() instanceof Dir) {
                        queue.add(at);
                    }
                }
            }
            byte[][] names = new byte[nodes.size()][];
            long namesSize = 0;
            for (int i = 0; i < nodes.size(); i++) {
                names[i] = nodes.get(i).name().getBytes(StandardCharsets.UTF_8);
                namesSize += names[i].length;
            }
            long nodesAt = align(HEADER.byteSize(), 8);
            long namesAt = nodesAt + nodes.size() * NODE.byteSize();
            long dataAt = align(namesAt + namesSize, DATA_ALIGN);
            long size = dataAt;
            long[] fileAt = new long[nodes.size()];
            for (int i = 0; i < nodes.size(); i++) {
                if (nodes.get(i).what() instanceof File f) {
                    fileAt[i] = size;
                    size = align(size + f.bytes().length, DATA_ALIGN);
                }
            }
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the file image would be " + size + " bytes; at most 2 GiB");
            }
            ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(MAGIC).putInt(VERSION).putInt(nodes.size()).putLong(nodesAt).putLong(namesAt)
                    .putLong(namesSize).putLong(size).putLong(mtimeNanos);
            long nameOffset = 0;
            for (int i = 0; i < nodes.size(); i++) {
                Entry e = nodes.get(i);
                b.position((int) (nodesAt + i * NODE.byteSize()));
                if (e.what() instanceof File f) {
                    b.putInt(f.executable() ? EXEC : FILE).putInt(e.parent()).putLong(nameOffset)
                            .putInt(names[i].length).putInt(0).putLong(fileAt[i]).putLong(f.bytes().length);
                } else {
                    long[] info = dirInfo.get(i);
                    b.putInt(DIR).putInt(e.parent()).putLong(nameOffset).putInt(names[i].length).putInt(0)
                            .putLong(info[0]).putLong(info[1]);
                }
                nameOffset += names[i].length;
            }
            b.position((int) namesAt);
            for (byte[] n : names) {
                b.put(n);
            }
            for (int i = 0; i < nodes.size(); i++) {
                if (nodes.get(i).what() instanceof File f) {
                    b.position((int) fileAt[i]);
                    b.put(f.bytes());
                }
            }
            return b.array();
        }

        private static long align(long x, long a) {
            return (x + a - 1) / a * a;
        }
    }
}
