package dev.thaw.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BuildCodecTest {
    @Test
    void anOutcomeRoundTrips() throws Exception {
        BuildOutcome o = new BuildOutcome("{\"name\": \"hello\"}", "0123abcd", true, 1.5, 2.5, 3.5, 9.0);
        assertEquals(o, BuildCodec.decode(200, BuildCodec.encode(o)));
    }

    @Test
    void aFailureKeepsItsKindFieldAndCompilerMessage() {
        BuildFailure f = new BuildFailure(BuildFailure.Kind.DOES_NOT_BUILD, "the function does not compile", null, "main.c:1: error");
        BuildFailure back = assertThrows(BuildFailure.class, () -> BuildCodec.decode(f.kind().status, BuildCodec.encode(f)));
        assertEquals(BuildFailure.Kind.DOES_NOT_BUILD, back.kind());
        assertEquals("the function does not compile", back.getMessage());
        assertEquals("main.c:1: error", back.compiler());
        assertNull(back.field());

        BuildFailure invalid = assertThrows(BuildFailure.class, () -> BuildCodec.decode(400,
                BuildCodec.encode(new BuildFailure(BuildFailure.Kind.INVALID, "manifest field 'memory_mb': bad", "memory_mb", null))));
        assertEquals("memory_mb", invalid.field());
        assertEquals(BuildFailure.Kind.INVALID, invalid.kind());
    }

    @Test
    void garbageIsTheHostsFailure() {
        BuildFailure f = assertThrows(BuildFailure.class, () -> BuildCodec.decode(502, "<html>".getBytes()));
        assertEquals(BuildFailure.Kind.HOST, f.kind());
    }
}
