package dev.thaw.invoker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.abi.Abi;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class OutputTest {
    private static MemorySegment bytes(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void emptyRecordsCountTheirHeadersAgainstTheLimit() {
        Output out = new Output(8000, new HashSet<>());
        int accepted = 0;
        while (!out.exceeded() && accepted < 2_000_000) {
            out.accept(Abi.STREAM_LOG, bytes(""));
            accepted++;
        }
        assertEquals(1001, accepted, "8000 bytes hold 1000 eight-byte record headers, the next one exceeds");
    }

    @Test
    void payloadAndHeaderTogetherMustFit() {
        Output out = new Output(20, new HashSet<>());
        out.accept(Abi.STREAM_STDOUT, bytes("123456789012")); // 8 + 12 = 20: fits exactly
        assertFalse(out.exceeded());
        out.accept(Abi.STREAM_STDERR, bytes(""));
        assertTrue(out.exceeded());
        assertEquals("123456789012", new String(out.stdout(), StandardCharsets.UTF_8));
    }

    @Test
    void buffersNeverGrowPastTheLimit() {
        Output out = new Output(1000, new HashSet<>());
        byte[] chunk = new byte[100];
        for (int i = 0; i < 9; i++) {
            out.accept(Abi.STREAM_STDOUT, MemorySegment.ofArray(chunk)); // 9 x 108 = 972 bytes counted
        }
        assertFalse(out.exceeded());
        assertEquals(900, out.stdout().length);
        assertArrayEquals(new byte[900], out.stdout());
    }

    @Test
    void logLinesAreCappedInNumberAndLengthWithAMarker() {
        Output out = new Output(Limits.MAX_OUTPUT_BYTES, new HashSet<>());
        out.accept(Abi.STREAM_LOG, bytes("é".repeat(3000))); // 6000 bytes; byte 4096 starts a character
        out.accept(Abi.STREAM_LOG, bytes("x" + "é".repeat(3000))); // byte 4096 is inside one
        for (int i = 0; i < 1200; i++) {
            out.accept(Abi.STREAM_LOG, bytes("line " + i));
        }
        assertEquals(1001, out.logs().size());
        assertEquals("é".repeat(2048) + " [thaw: 1904 more bytes of this line dropped]", out.logs().get(0));
        assertEquals("x" + "é".repeat(2047) + " [thaw: 1906 more bytes of this line dropped]", out.logs().get(1));
        assertEquals("line 997", out.logs().get(999));
        assertEquals("[thaw: 202 more log lines dropped; at most 1000 are kept per invocation]", out.logs().get(1000));
    }

    @Test
    void aLongLineThatIsNotUtf8KeepsItsFirst4KiB() {
        // Found by HypercallFuzzTest's model: the cut backed off over every continuation byte,
        // so a long binary line lost all of its 4 KiB. A UTF-8 character is at most 4 bytes
        // long: the cut moves back at most 3.
        Output out = new Output(Limits.MAX_OUTPUT_BYTES, new HashSet<>());
        byte[] line = new byte[5000];
        java.util.Arrays.fill(line, (byte) 0x85);
        line[0] = 'x';
        out.accept(Abi.STREAM_LOG, MemorySegment.ofArray(line));
        String kept = new String(line, 0, 4093, StandardCharsets.UTF_8);
        assertEquals(kept + " [thaw: 907 more bytes of this line dropped]", out.logs().get(0));
    }

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
