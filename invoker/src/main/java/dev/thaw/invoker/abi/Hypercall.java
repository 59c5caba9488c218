package dev.thaw.invoker.abi;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.thaw.invoker.kvm.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * A hypercall, decoded once: the argument struct is read from guest memory through the
 * checked accessor into an immutable record, and no field is read from the guest again.
 * Pointers inside it stay numbers until their own checked access.
 */
public sealed interface Hypercall {
    /** The guest waits for the request; {@code args} is where the host writes the answer. */
    record Recv(long args, long buf, long cap) implements Hypercall {}

    record Flush(long buf, long len) implements Hypercall {}

    record Exit(long buf, long len, int status, int signal) implements Hypercall {}

    record SetFs(long base) implements Hypercall {}

    static Hypercall decode(int port, long argAddress, GuestMemory memory) throws AbiViolation {
        return switch (port) {
            case Abi.HC_RECV -> {
                MemorySegment a = args(memory, argAddress, Abi.RECV, "recv");
                yield new Recv(argAddress, a.get(JAVA_LONG_UNALIGNED, 0), a.get(JAVA_LONG_UNALIGNED, 8));
            }
            case Abi.HC_FLUSH -> {
                MemorySegment a = args(memory, argAddress, Abi.FLUSH, "flush");
                yield new Flush(a.get(JAVA_LONG_UNALIGNED, 0), a.get(JAVA_LONG_UNALIGNED, 8));
            }
            case Abi.HC_EXIT -> {
                MemorySegment a = args(memory, argAddress, Abi.EXIT, "exit");
                yield new Exit(a.get(JAVA_LONG_UNALIGNED, 0), a.get(JAVA_LONG_UNALIGNED, 8),
                        a.get(JAVA_INT_UNALIGNED, 16), a.get(JAVA_INT_UNALIGNED, 20));
            }
            case Abi.HC_SET_FS -> new SetFs(args(memory, argAddress, Abi.SET_FS, "set_fs").get(JAVA_LONG_UNALIGNED, 0));
            default -> throw new AbiViolation("unknown hypercall port 0x" + Integer.toHexString(port));
        };
    }

    private static MemorySegment args(GuestMemory memory, long address, StructLayout layout, String call)
            throws AbiViolation {
        try {
            return memory.slice(address, layout.byteSize());
        } catch (GuestMemory.OutOfRangeException e) {
            throw new AbiViolation(call + " hypercall arguments: " + e.getMessage());
        }
    }
}
