package dev.thaw.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.abi.Abi;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** Unsupported-system-call lines reach the caller once per function, and a guest cannot grow the host's memory with them. */
class OutputTest {
    private static void log(Output out, String line) {
        out.accept(Abi.STREAM_LOG, MemorySegment.ofArray(line.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void anUnsupportedCallIsReportedOncePerSet() {
        Set<String> reported = ConcurrentHashMap.newKeySet();
        Output first = new Output(1 << 20, reported);
        log(first, "thaw: unsupported system call pipe2 (293): ENOSYS");
        log(first, "a line of the function's own");
        Output second = new Output(1 << 20, reported);
        log(second, "thaw: unsupported system call pipe2 (293): ENOSYS");
        log(second, "a line of the function's own");
        assertEquals(List.of("thaw: unsupported system call pipe2 (293): ENOSYS", "a line of the function's own"), first.logs());
        assertEquals(List.of("a line of the function's own"), second.logs());
    }

    @Test
    void madeUpLinesCannotGrowTheSetWithoutBound() {
        Set<String> reported = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 10_000; i++) {
            Output out = new Output(1 << 20, reported);
            log(out, "thaw: unsupported system call fake" + i + " (" + i + "): ENOSYS");
            log(out, "thaw: unsupported system call " + "x".repeat(1000) + i);
            assertEquals(2, out.logs().size(), "past the bound, lines are passed on, not dropped");
        }
        assertTrue(reported.size() <= Output.ONCE_MAX_LINES, "the host kept " + reported.size() + " lines");
        assertTrue(reported.stream().allMatch(l -> l.length() <= Output.ONCE_MAX_LENGTH));
    }
}
