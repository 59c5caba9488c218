package dev.thaw.invoker.kvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The C library functions the VMM calls. This is the only class that touches {@link Linker};
 * every handle is resolved once, called with {@code invokeExact}, and captures errno. Each
 * method returns the raw result; {@link #errno()} gives the errno of this thread's last call.
 */
final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ThreadLocal<MemorySegment> CAPTURED =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final int MADV_DONTNEED = 4;
    static final long MAP_FAILED = -1L;
    static final int SIG_BLOCK = 0;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    /** glibc's sigset_t is 1024 bits. */
    static final long SIGSET_BYTES = 128;

    private static final MethodHandle OPEN = link("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle IOCTL_PTR = link("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle IOCTL_LONG = link("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    private static final MethodHandle MMAP = link("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
    private static final MethodHandle MUNMAP = link("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle MADVISE = link("madvise",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
    private static final MethodHandle MINCORE = link("mincore",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS), -1);
    private static final MethodHandle PTHREAD_SIGMASK = link("pthread_sigmask",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), -1);
    private static final MethodHandle SIGTIMEDWAIT = link("sigtimedwait",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), -1);
    private static final MethodHandle GETTID = link("gettid", FunctionDescriptor.of(JAVA_INT), -1);
    private static final MethodHandle GETPID = link("getpid", FunctionDescriptor.of(JAVA_INT), -1);
    private static final MethodHandle TGKILL = link("tgkill",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle STRERRORNAME = LINKER.downcallHandle(
            LIBC.find("strerrorname_np").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Libc() {}

    private static MethodHandle link(String name, FunctionDescriptor fd, int firstVariadic) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return firstVariadic < 0
                ? LINKER.downcallHandle(symbol, fd, CAPTURE_ERRNO)
                : LINKER.downcallHandle(symbol, fd, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** errno as left by this thread's last call through this class. */
    static int errno() {
        return (int) ERRNO.get(CAPTURED.get(), 0L);
    }

    /** "EINVAL" for 22; the number itself when libc has no name for it. */
    static String errnoName(int errno) {
        try {
            MemorySegment name = (MemorySegment) STRERRORNAME.invokeExact(errno);
            return name.equals(MemorySegment.NULL) ? "errno " + errno : name.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int open(MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(CAPTURED.get(), path, flags, 0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * An ioctl, made again while a signal interrupts it. A handled signal (a profiler's, a
     * sampler's, HotSpot's own) that reaches a thread inside KVM_CREATE_VM and its kind makes
     * the kernel answer EINTR rather than restart it; such a call has done nothing, so repeating
     * it is right. KVM_RUN must see its EINTR (that is how a deadline stops a guest): it uses
     * {@link #ioctlOnce}.
     */
    static int ioctl(int fd, long request, MemorySegment arg) {
        try {
            int r;
            do {
                r = (int) IOCTL_PTR.invokeExact(CAPTURED.get(), fd, request, arg);
            } while (r == -1 && errno() == EINTR);
            return r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** An ioctl with an integer argument, made again while a signal interrupts it (see above). */
    static int ioctl(int fd, long request, long arg) {
        int r;
        do {
            r = ioctlOnce(fd, request, arg);
        } while (r == -1 && errno() == EINTR);
        return r;
    }

    /** An ioctl whose EINTR the caller wants to see (KVM_RUN). */
    static int ioctlOnce(int fd, long request, long arg) {
        try {
            return (int) IOCTL_LONG.invokeExact(CAPTURED.get(), fd, request, arg);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        return mmap(MemorySegment.NULL, length, prot, flags, fd, offset);
    }

    static MemorySegment mmap(MemorySegment address, long length, int prot, int flags, int fd, long offset) {
        try {
            return (MemorySegment) MMAP.invokeExact(CAPTURED.get(), address, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int munmap(MemorySegment address, long length) {
        try {
            return (int) MUNMAP.invokeExact(CAPTURED.get(), address, length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int madvise(MemorySegment address, long length, int advice) {
        try {
            return (int) MADVISE.invokeExact(CAPTURED.get(), address, length, advice);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int mincore(MemorySegment address, long length, MemorySegment vector) {
        try {
            return (int) MINCORE.invokeExact(CAPTURED.get(), address, length, vector);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Returns 0 or an error number (pthread functions do not use errno). */
    static int pthreadSigmask(int how, MemorySegment set, MemorySegment old) {
        try {
            return (int) PTHREAD_SIGMASK.invokeExact(CAPTURED.get(), how, set, old);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int sigtimedwait(MemorySegment set, MemorySegment info, MemorySegment timeout) {
        try {
            return (int) SIGTIMEDWAIT.invokeExact(CAPTURED.get(), set, info, timeout);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int gettid() {
        try {
            return (int) GETTID.invokeExact(CAPTURED.get());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int getpid() {
        try {
            return (int) GETPID.invokeExact(CAPTURED.get());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int tgkill(int pid, int tid, int signal) {
        try {
            return (int) TGKILL.invokeExact(CAPTURED.get(), pid, tid, signal);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
