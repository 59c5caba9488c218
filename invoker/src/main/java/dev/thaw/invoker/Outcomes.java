package dev.thaw.invoker;

import dev.thaw.invoker.Result.Status;
import java.util.List;

/** Turns how a guest stopped into the {@link Result} a caller sees. */
final class Outcomes {
    private Outcomes() {}

    static Result of(GuestRun.Stop stop, Output out, Limits limits, Timings t) {
        return switch (stop) {
            case GuestRun.Stop.Exited e -> new Result(Status.EXITED, e.status(), e.signal(), out.stdout(), out.stderr(),
                    out.logs(), e.signal() == 0 ? "" : "terminated by signal " + e.signal() + signalName(e.signal()), t);
            case GuestRun.Stop.TimedOut x -> failed(Status.TIMEOUT, out,
                    "ran longer than its timeout of " + limits.timeout().toMillis() + " ms and was stopped", t);
            case GuestRun.Stop.Crashed c -> failed(Status.CRASHED, out, c.description(), t);
            case GuestRun.Stop.Violated v -> failed(Status.ABI_VIOLATION, out, v.description(), t);
            case GuestRun.Stop.OutputLimit o -> failed(Status.OUTPUT_LIMIT, out,
                    "wrote more than its output limit of " + limits.maxOutputBytes() + " bytes", t);
            case GuestRun.Stop.Waiting w -> failed(Status.ABI_VIOLATION, out,
                    "asked for a request again in the middle of an invocation", t);
        };
    }

    static Result inputTooLarge(long size, long capacity, Timings t) {
        return new Result(Status.INPUT_TOO_LARGE, 0, 0, new byte[0], new byte[0], List.of(),
                "request of " + size + " bytes exceeds the function's input buffer of " + capacity + " bytes", t);
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
