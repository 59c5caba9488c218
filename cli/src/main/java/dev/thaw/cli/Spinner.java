package dev.thaw.cli;

import java.io.PrintWriter;

/**
 * A one-line "still working" indicator for a person at a terminal: a turning bar, a label
 * and the seconds elapsed, redrawn in place and erased when closed.
 */
final class Spinner implements AutoCloseable {
    private static final String FRAMES = "|/-\\";
    private static final long FRAME_MILLIS = 100;

    private final PrintWriter out;
    private final Thread thread;

    private Spinner(PrintWriter out, Thread thread) {
        this.out = out;
        this.thread = thread;
    }

    /** Starts a spinner on {@code out} if {@code shown}; otherwise one that does nothing. */
    static Spinner start(boolean shown, PrintWriter out, String label) {
        if (!shown) {
            return new Spinner(out, null);
        }
        long start = System.nanoTime();
        return new Spinner(out, Thread.ofPlatform().daemon().start(() -> {
            for (int frame = 0; ; frame++) {
                out.printf("\r%c %s %.1f s", FRAMES.charAt(frame % FRAMES.length()), label,
                        (System.nanoTime() - start) / 1e9);
                out.flush();
                try {
                    Thread.sleep(FRAME_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }));
    }

    @Override
    public void close() {
        if (thread == null) {
            return;
        }
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.print("\r\033[K");   // back to the start of the line, and clear it
        out.flush();
    }
}
