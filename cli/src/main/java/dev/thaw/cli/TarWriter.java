package dev.thaw.cli;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes a POSIX ustar archive of regular files: the part of tar a bundle needs, small
 * enough not to be worth a dependency. Entries have no owner and a zero modification time,
 * so the same files always make the same archive.
 */
final class TarWriter implements Closeable {
    private static final int BLOCK = 512;
    private static final int NAME_LENGTH = 100;
    private static final int PREFIX_LENGTH = 155;

    private final OutputStream out;

    TarWriter(OutputStream out) {
        this.out = out;
    }

    /** Appends {@code file} as the entry {@code name}, a relative path with '/' separators. */
    void add(String name, Path file) throws IOException {
        long size = Files.size(file);
        out.write(header(name, size, Files.isExecutable(file) ? 0755 : 0644));
        long copied;
        try (InputStream in = Files.newInputStream(file)) {
            copied = in.transferTo(out);
        }
        if (copied != size) {
            throw new IOException(file + " changed while it was being packed");
        }
        pad(size);
    }

    /** Ends the archive with its two zero blocks and closes the stream underneath. */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.close();
    }

    private static byte[] header(String name, long size, int mode) {
        byte[] path = name.getBytes(StandardCharsets.UTF_8);
        int prefix = prefixLength(path, name);
        int nameStart = prefix == 0 ? 0 : prefix + 1;   // the '/' between prefix and name is not stored
        byte[] h = new byte[BLOCK];
        System.arraycopy(path, nameStart, h, 0, path.length - nameStart);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);    // uid
        octal(h, 116, 8, 0);    // gid
        octal(h, 124, 12, size);
        octal(h, 136, 12, 0);   // mtime
        h[156] = '0';           // a regular file
        put(h, 257, "ustar\0" + "00");
        System.arraycopy(path, 0, h, 345, prefix);
        // The checksum is summed with its own field as spaces, then stored as 6 digits, NUL, space.
        Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        return h;
    }

    /**
     * How much of a path longer than the name field goes to the prefix field, cut at a '/';
     * 0 when the path fits whole in the name field.
     */
    private static int prefixLength(byte[] path, String name) {
        if (path.length <= NAME_LENGTH) {
            return 0;
        }
        for (int i = Math.min(PREFIX_LENGTH, path.length - 1); i > 0; i--) {
            if (path[i] == '/' && path.length - i - 1 <= NAME_LENGTH && path.length - i - 1 > 0) {
                return i;
            }
        }
        throw new Failure("path too long for a bundle: " + name);
    }

    /** Writes {@code value} as zero-padded octal digits filling all but the last byte of the field, then NUL. */
    private static void octal(byte[] h, int offset, int length, long value) {
        String digits = Long.toOctalString(value);
        if (digits.length() > length - 1) {
            throw new IllegalArgumentException(value + " does not fit a " + length + "-byte tar field");
        }
        put(h, offset, "0".repeat(length - 1 - digits.length()) + digits + "\0");
    }

    private static void put(byte[] h, int offset, String ascii) {
        byte[] bytes = ascii.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, h, offset, bytes.length);
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }
}
