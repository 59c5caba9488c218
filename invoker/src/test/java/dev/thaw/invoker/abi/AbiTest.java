package dev.thaw.invoker.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.thaw.invoker.testing.CProbe;
import dev.thaw.invoker.testing.LayoutProbe;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Java mirror of the hypercall ABI matches unikernel-base/include/thaw/abi.h, field by field. */
class AbiTest {
    @Test
    void javaMirrorMatchesAbiHeader() throws Exception {
        LayoutProbe probe = new LayoutProbe()
                .struct(Abi.BOOT_INFO, "thaw_boot_info", true, Set.of())
                .struct(Abi.RECV, "thaw_recv", true, Set.of())
                .struct(Abi.RECORD, "thaw_record", true, Set.of())
                .struct(Abi.FLUSH, "thaw_flush", true, Set.of())
                .struct(Abi.EXIT, "thaw_exit", true, Set.of())
                .struct(Abi.SET_FS, "thaw_set_fs", true, Set.of())
                .constant("THAW_ABI_VERSION", "THAW_ABI_VERSION", Abi.VERSION)
                .constant("THAW_HC_RECV", "THAW_HC_RECV", Abi.HC_RECV)
                .constant("THAW_HC_FLUSH", "THAW_HC_FLUSH", Abi.HC_FLUSH)
                .constant("THAW_HC_EXIT", "THAW_HC_EXIT", Abi.HC_EXIT)
                .constant("THAW_HC_SET_FS", "THAW_HC_SET_FS", Abi.HC_SET_FS)
                .constant("THAW_BOOT_INFO_ADDR", "THAW_BOOT_INFO_ADDR", Abi.BOOT_INFO_ADDR)
                .constant("THAW_BOOT_MAGIC", "THAW_BOOT_MAGIC", Abi.BOOT_MAGIC)
                .constant("THAW_BOOT_SNAPSHOT_AT_READY", "THAW_BOOT_SNAPSHOT_AT_READY", Abi.BOOT_SNAPSHOT_AT_READY)
                .constant("THAW_STREAM_STDOUT", "THAW_STREAM_STDOUT", Abi.STREAM_STDOUT)
                .constant("THAW_STREAM_STDERR", "THAW_STREAM_STDERR", Abi.STREAM_STDERR)
                .constant("THAW_STREAM_LOG", "THAW_STREAM_LOG", Abi.STREAM_LOG)
                .constant("THAW_NOTE_ABI", "THAW_NOTE_ABI", Abi.NOTE_ABI)
                .constant("THAW_NOTE_NAME_LENGTH", "sizeof THAW_NOTE_NAME - 1", Abi.NOTE_NAME.length());
        Path include = Path.of(System.getProperty("thaw.root", "..")).resolve("unikernel-base/include");
        Map<String, Long> gcc = CProbe.run(probe.program("thaw/abi.h"), include.toString());
        assertEquals("", probe.mismatches(gcc));
    }
}
