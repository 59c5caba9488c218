package dev.thaw.snapshotter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * What the compiler printed (stdout and stderr together), read while it runs so that it never
 * blocks on a full pipe. The first 64 KiB are kept for the error message; the rest is counted
 * and dropped. Past 16 MiB the compile is a runaway (no real compile prints that much) and is
 * stopped rather than drained for minutes.
 */
final class CompilerOutput {
    static final int KEPT_BYTES = 64 * 1024;
    static final long RUNAWAY_BYTES = 16L << 20;

    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long total;
    private boolean runaway;

    /** Reads {@code in} to its end; calls {@code stop} once when the output passes {@link #RUNAWAY_BYTES}. */
    void drain(InputStream in, Runnable stop) {
        byte[] buf = new byte[16 * 1024];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                boolean stopNow;
                synchronized (this) {
                    int keep = (int) Math.min(n, Math.max(0, KEPT_BYTES - kept.size()));
                    kept.write(buf, 0, keep);
                    total += n;
                    stopNow = !runaway && total > RUNAWAY_BYTES;
                    runaway |= stopNow;
                }
                if (stopNow) {
                    stop.run();
                }
            }
        } catch (IOException e) {
            // the pipe closed under us (the compile was killed): what was read is what there is
        }
    }

    synchronized boolean runaway() {
        return runaway;
    }

    /** The kept output, with a last line saying so when the rest was dropped. */
    synchronized String text() {
        String text = kept.toString(StandardCharsets.UTF_8).strip();
        if (total <= KEPT_BYTES) {
            return text;
        }
        return text + "\n[compiler output exceeded " + KEPT_BYTES / 1024 + " KiB (truncated): "
                + (runaway ? "more than " + (RUNAWAY_BYTES >> 20) + " MiB, the compiler was stopped"
                        : total + " bytes in all") + "]";
    }
}
