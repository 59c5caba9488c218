package dev.thaw.invoker.abi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/**
 * The Java mirror of {@code unikernel-base/include/thaw/abi.h}, the hypercall ABI. AbiTest
 * compiles a C program against that header and checks every size, offset and constant here.
 */
public final class Abi {
    private Abi() {}

    public static final int VERSION = 1;

    public static final int HC_RECV = 0x7a0;
    public static final int HC_FLUSH = 0x7a1;
    public static final int HC_EXIT = 0x7a2;
    public static final int HC_SET_FS = 0x7a3;

    /** The encoding of {@code out %eax,(%dx)}, the instruction every hypercall is. */
    public static final byte OUT_DX_EAX = (byte) 0xef;

    public static final long BOOT_INFO_ADDR = 0x1000L;
    /** Unmapped bytes below the stack ({@code stack_low} in the boot information): an overflow faults there. */
    public static final long STACK_GUARD = 64 * 1024;
    public static final long BOOT_MAGIC = 0x544f4f4257414854L;
    public static final int BOOT_SNAPSHOT_AT_READY = 1;

    public static final int STREAM_STDOUT = 1;
    public static final int STREAM_STDERR = 2;
    public static final int STREAM_LOG = 3;

    public static final String NOTE_NAME = "Thaw";
    public static final int NOTE_ABI = 1;

    public static final StructLayout BOOT_INFO = structLayout(
            JAVA_LONG.withName("magic"), JAVA_INT.withName("abi_version"), JAVA_INT.withName("flags"),
            JAVA_LONG.withName("mem_size"), JAVA_LONG.withName("heap_start"), JAVA_LONG.withName("mmap_top"),
            JAVA_LONG.withName("io_base"), JAVA_LONG.withName("io_size"), JAVA_LONG.withName("stack_low"),
            JAVA_LONG.withName("stack_high"), JAVA_LONG.withName("fs_image"), JAVA_LONG.withName("fs_size"),
            JAVA_LONG.withName("boot_wall_ns"), JAVA_LONG.withName("boot_mono_ns"), JAVA_LONG.withName("tsc_khz"),
            sequenceLayout(32, JAVA_BYTE).withName("boot_entropy"))
            .withName("thaw_boot_info");

    public static final StructLayout RECV = structLayout(
            JAVA_LONG.withName("buf"), JAVA_LONG.withName("cap"), JAVA_LONG.withName("len"),
            JAVA_LONG.withName("wall_ns"), JAVA_LONG.withName("mono_ns"), JAVA_LONG.withName("tsc_khz"),
            sequenceLayout(32, JAVA_BYTE).withName("entropy"))
            .withName("thaw_recv");

    public static final StructLayout RECORD = structLayout(
            JAVA_INT.withName("stream"), JAVA_INT.withName("len"))
            .withName("thaw_record");

    public static final StructLayout FLUSH = structLayout(
            JAVA_LONG.withName("buf"), JAVA_LONG.withName("len"))
            .withName("thaw_flush");

    public static final StructLayout EXIT = structLayout(
            JAVA_LONG.withName("buf"), JAVA_LONG.withName("len"), JAVA_INT.withName("status"),
            JAVA_INT.withName("signal"))
            .withName("thaw_exit");

    public static final StructLayout SET_FS = structLayout(JAVA_LONG.withName("base"))
            .withName("thaw_set_fs");
}
