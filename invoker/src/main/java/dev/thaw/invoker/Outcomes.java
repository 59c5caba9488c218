package dev.thaw.invoker;

import dev.thaw.invoker.Result.Status;
import java.util.List;

/** Turns how a guest stopped into the {@link Result} a caller sees. */
final class Outcomes {
    private Outcomes() {}

    /** {@code budgetNanos}: from submission to the deadline (the timeout, or less if the caller said so). */
    static Result of(GuestRun.Stop stop, Output out, Limits limits, long budgetNanos, Timings t) {
        return switch (stop) {
            case GuestRun.Stop.Exited e -> new Result(Status.EXITED, e.status(), e.signal(), out.stdout(), out.stderr(),
                    out.logs(), e.signal() == 0 ? "" : "terminated by signal " + e.signal() + signalName(e.signal()), t);
            case GuestRun.Stop.TimedOut x -> failed(Status.TIMEOUT, out, stopped(limits, budgetNanos), t);
            case GuestRun.Stop.Crashed c -> failed(Status.CRASHED, out, c.description(), t);
            case GuestRun.Stop.Violated v -> failed(Status.ABI_VIOLATION, out, v.description(), t);
            case GuestRun.Stop.OutputLimit o -> failed(Status.OUTPUT_LIMIT, out,
                    "wrote more than its output limit of " + limits.maxOutputBytes() + " bytes", t);
            case GuestRun.Stop.Waiting w -> failed(Status.ABI_VIOLATION, out,
                    "asked for a request again in the middle of an invocation", t);
            case GuestRun.Stop.Preempted p -> throw new AssertionError("a preempted invocation has no result yet");
        };
    }

    private static String stopped(Limits limits, long budgetNanos) {
        long timeoutMs = limits.timeout().toMillis();
        long budgetMs = budgetNanos / 1_000_000;
        return shortened(budgetMs, timeoutMs)
                ? "did not finish within the " + budgetMs + " ms left of its time budget (timeout " + timeoutMs
                        + " ms) and was stopped"
                : "ran longer than its timeout of " + timeoutMs + " ms and was stopped";
    }

    /**
     * Whether the caller's deadline cut the timeout noticeably (by a tenth, and at least 10 ms):
     * a gateway admits a request a few milliseconds before the engine does (a registry
     * look-up, a hop), which is not worth a different message.
     */
    private static boolean shortened(long budgetMs, long timeoutMs) {
        return timeoutMs - budgetMs > Math.max(10, timeoutMs / 10);
    }

    /** The deadline passed while the invocation waited for a runner: it never ran. */
    static Result timedOutBeforeStart(Limits limits, long budgetNanos, long submitted) {
        long waited = System.nanoTime() - submitted;
        long budgetMs = budgetNanos / 1_000_000;
        long timeoutMs = limits.timeout().toMillis();
        return new Result(Status.TIMEOUT, 0, 0, new byte[0], new byte[0], List.of(),
                "waited " + waited / 1_000_000 + " ms for a free runner and reached its "
                        + (shortened(budgetMs, timeoutMs) ? "time budget of " + budgetMs + " ms (timeout " + timeoutMs + " ms)"
                                : "timeout of " + timeoutMs + " ms")
                        + " before it could start; it did not run",
                new Timings(waited, 0, waited, 0, 0, false));
    }

    static Result inputTooLarge(long size, long capacity, long submitted) {
        long waited = System.nanoTime() - submitted;
        return new Result(Status.INPUT_TOO_LARGE, 0, 0, new byte[0], new byte[0], List.of(),
                "request of " + size + " bytes exceeds the function's input buffer of " + capacity + " bytes",
                new Timings(waited, 0, waited, 0, 0, false));
    }

    private static Result failed(Status status, Output out, String error, Timings t) {
        return new Result(status, 0, 0, out.stdout(), out.stderr(), out.logs(), error, t);
    }

    private static String signalName(int signal) {
        return switch (signal) {
            case 6 -> " (SIGABRT)";
            case 9 -> " (SIGKILL)";
            case 11 -> " (SIGSEGV)";
            case 15 -> " (SIGTERM)";
            default -> "";
        };
    }
}
