package dev.thaw.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultCodecTest {
    @Test
    void roundTripsEveryFieldAndBinaryOutput() throws Exception {
        byte[] stdout = new byte[256];
        for (int i = 0; i < 256; i++) {
            stdout[i] = (byte) i;
        }
        InvocationResult r = new InvocationResult(InvocationResult.Status.CRASHED, 0, 6, stdout, "err\n".getBytes(), List.of("one", "two"),
                "guest crashed", new InvocationResult.Timings(1, 2, 3, 4, 5, true));
        InvocationResult back = ResultCodec.decode(ResultCodec.encode(r));
        assertEquals(r.status(), back.status());
        assertEquals(6, back.signal());
        assertArrayEquals(stdout, back.stdout());
        assertArrayEquals(r.stderr(), back.stderr());
        assertEquals(r.logs(), back.logs());
        assertEquals(r.error(), back.error());
        assertEquals(r.timings(), back.timings());
    }

    @Test
    void refusesTruncatedOrInconsistentBytes() {
        byte[] good = ResultCodec.encode(new InvocationResult(InvocationResult.Status.EXITED, 0, 0, "out".getBytes(), new byte[0], List.of(), "",
                new InvocationResult.Timings(0, 0, 0, 1, 0, false)));
        assertThrows(IOException.class, () -> ResultCodec.decode(Arrays.copyOf(good, good.length - 1)));
        assertThrows(IOException.class, () -> ResultCodec.decode(new byte[] {0, 0, 0, 99}));
        assertThrows(IOException.class, () -> ResultCodec.decode(new byte[] {1}));
    }
}
