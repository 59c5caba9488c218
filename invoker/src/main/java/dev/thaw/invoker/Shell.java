package dev.thaw.invoker;

import static dev.thaw.invoker.kvm.KvmStructs.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.abi.Hypercall;
import dev.thaw.invoker.kvm.GuestMemory;
import dev.thaw.invoker.kvm.Mapping;
import dev.thaw.invoker.kvm.Vcpu;
import dev.thaw.invoker.kvm.Vm;
import dev.thaw.invoker.snapshot.Snapshot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.Arrays;

/**
 * One VM instantiated from a snapshot: guest RAM is the snapshot's memory file mapped
 * copy-on-write, the vCPU stopped in the guest's recv hypercall. It serves one invocation at
 * a time and is reset to the snapshot between them.
 *
 * <p>vCPU state, in the order it is restored:
 * <ol>
 * <li>On creation: CPUID (from {@link Kvm}), kvm_sregs (mode, paging, segments, FS base),
 *     kvm_regs, kvm_fpu, and the signal mask used inside KVM_RUN.</li>
 * <li>Before every run: kvm_regs and kvm_sregs through the kvm_run page (sync regs).</li>
 * <li>The extended CPU state (x87, SSE, AVX, AVX-512, PKRU: every XSAVE component but AMX)
 *     is restored by the guest itself: before any function code runs after the recv
 *     hypercall, the library OS reloads the image it saved at the snapshot point with XRSTOR,
 *     which also initialises every component that was in its initial state then (io.c; PVM
 *     runs the guest with the host's XCR0 whatever the guest's CR4 says, so this must cover
 *     everything the CPU enables). InvocationIsolationTest holds it.</li>
 * </ol>
 * Nothing else can change at CPL3: MSRs and debug registers need CPL0, there is no local
 * APIC or timer, and a shell whose guest stopped any other way than a clean exit hypercall
 * is discarded, never reset.
 *
 * <p>Reset: KVM's dirty log names the pages the guest wrote; each is copied back from the
 * snapshot's shared read-only mapping, as are the pages the host wrote (the request). A
 * copied-back page stays a private page of this shell, so the next write to it costs only
 * KVM's write-protection fault (about 4 us here) instead of a fresh copy-on-write fault
 * (about 8 us). Past {@link #COPY_BACK_LIMIT} dirty pages the rest are dropped instead, so
 * an invocation that touched a lot of memory does not leave it all pinned in an idle shell.
 */
final class Shell implements AutoCloseable {
    static final int COPY_BACK_LIMIT = 1024;
    private static final long PAGE = 4096;
    private static final long RECV_LEN = offset(Abi.RECV, "len");

    private final Snapshot snapshot;
    private final Mapping ram;
    private final GuestMemory memory;
    private final Vm vm;
    private final Vcpu vcpu;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment dirtyBitmap;
    private int[] dirty = new int[64]; // grows: most invocations dirty a handful of pages
    private int dirtyCount;
    /** Pages kept writable and always copied back (see {@link #rearmDirtyLog}); at most this many. */
    static final int HOT_PAGES = 4;
    /** Only an invocation that wrote at most this many pages pins any, or is remembered for it. */
    private static final int HOT_CANDIDATES = 16;
    private final int[] hot = new int[HOT_PAGES];
    private int hotCount;
    private final int[] previous = new int[HOT_CANDIDATES]; // the pages the last invocation wrote
    private int previousCount;
    private long requestBytes; // host-written bytes at recv.buf in the current invocation
    private int served;
    private boolean ready;
    private boolean broken;
    private int privatePages; // the most pages one reset kept as private copies
    /** Its estimated host memory as the runner that owns it accounted it (see {@link ShellMemory}). */
    long accountedBytes;

    private Shell(Snapshot snapshot, Mapping ram, Vm vm, Vcpu vcpu) {
        this.snapshot = snapshot;
        this.ram = ram;
        this.memory = new GuestMemory(ram.segment());
        this.vm = vm;
        this.vcpu = vcpu;
        long pages = snapshot.memorySize() / PAGE;
        this.dirtyBitmap = arena.allocate((pages + 63) / 64 * 8, 8);
    }

    /**
     * A new VM at the snapshot point, made from {@code empty} (which it owns from now on, and
     * closes on failure); {@code runMask} is the runner thread's KVM_RUN signal mask. When
     * {@code empty} has a memory slot already, the snapshot's memory is mapped over the range
     * the slot covers; otherwise it is mapped anywhere and given a slot now.
     */
    static Shell create(VmReserve.EmptyVm empty, Snapshot snapshot, MemorySegment runMask) {
        Mapping ram = null;
        boolean acquired = false;
        try {
            snapshot.acquire();
            acquired = true;
            if (empty.range() != null) {
                if (empty.slotBytes() != snapshot.memorySize()) {
                    throw new IllegalArgumentException("a VM with a slot of " + empty.slotBytes()
                            + " bytes for a snapshot of " + snapshot.memorySize());
                }
                ram = Mapping.copyOnWriteAt(empty.range(), snapshot.memoryFile());
            } else {
                ram = Mapping.copyOnWrite(snapshot.memoryFile(), snapshot.memorySize());
                empty.vm().mapMemory(0, 0, ram.segment(), true);
            }
            Vcpu vcpu = empty.vcpu();
            vcpu.setSregs(snapshot.sregs());
            vcpu.setRegs(snapshot.regs());
            vcpu.setFpu(snapshot.fpu());
            vcpu.setSignalMask(runMask);
            return new Shell(snapshot, ram, empty.vm(), vcpu);
        } catch (RuntimeException e) {
            empty.close(); // its range too, unless the memory file was mapped over it: then ram owns it
            if (ram != null) {
                ram.close();
            }
            if (acquired) {
                snapshot.release();
            }
            throw e;
        }
    }

    Snapshot snapshot() {
        return snapshot;
    }

    /** Whether its current (or last) invocation is its first: a first run pays the VM's page-table faults. */
    boolean firstRun() {
        return served <= 1;
    }

    /** Whether an invocation on it now would be warm: it waited in a pool, or served before. */
    boolean warm() {
        return ready || served > 0;
    }

    /** It goes into a pool's idle shells: the next invocation did not wait for its creation. */
    void markReady() {
        ready = true;
    }

    /** Pages of guest memory this shell holds as private copies after its resets, at most. */
    int privatePages() {
        return privatePages;
    }

    boolean broken() {
        return broken;
    }

    void markBroken() {
        broken = true;
    }

    /** Room for the request in the guest. */
    long inputCapacity() {
        return snapshot.recv().cap();
    }

    /**
     * Writes the request and this resume's clocks and entropy into the guest, the answer to
     * the recv it waits in. The caller checked the size against {@link #inputCapacity()}.
     */
    void deliver(byte[] input, byte[] entropy, long tscKhz) {
        Hypercall.Recv recv = snapshot.recv();
        MemorySegment buf = ram.segment().asSlice(recv.buf(), input.length);
        MemorySegment.copy(input, 0, buf, JAVA_BYTE, 0, input.length);
        requestBytes = input.length;
        MemorySegment reply = ram.segment().asSlice(recv.args() + RECV_LEN, Abi.RECV.byteSize() - RECV_LEN);
        Instant now = Instant.now();
        reply.set(JAVA_LONG_UNALIGNED, 0, input.length);
        reply.set(JAVA_LONG_UNALIGNED, 8, now.getEpochSecond() * 1_000_000_000L + now.getNano());
        reply.set(JAVA_LONG_UNALIGNED, 16, System.nanoTime());
        reply.set(JAVA_LONG_UNALIGNED, 24, tscKhz);
        MemorySegment.copy(entropy, 0, reply, JAVA_BYTE, 32, 32);
        vcpu.loadOnEntry(snapshot.regs(), snapshot.sregs());
        served++;
    }

    /** Runs the guest to its next stop, or on from where it was preempted. */
    GuestRun.Stop run(GuestRun guestRun) {
        GuestRun.Stop stop = guestRun.run();
        if (!(stop instanceof GuestRun.Stop.Exited || stop instanceof GuestRun.Stop.Preempted)) {
            broken = true; // never reuse a guest that stopped any other way
        }
        return stop;
    }

    /** A run of this shell's guest by the thread that owns {@code slot}. */
    GuestRun newRun(long deadline, Output output, Watchdog.Slot slot) {
        return new GuestRun(vcpu, memory, deadline, output, slot);
    }

    /** Collects the pages the guest wrote in this invocation; returns how many. */
    int collectDirtyPages() {
        vm.dirtyLog(0, dirtyBitmap);
        int n = 0;
        long words = dirtyBitmap.byteSize() / 8;
        for (long w = 0; w < words; w++) {
            long bits = dirtyBitmap.getAtIndex(JAVA_LONG, w);
            while (bits != 0) {
                if (n == dirty.length) {
                    dirty = Arrays.copyOf(dirty, n * 2);
                }
                dirty[n++] = (int) (w * 64 + Long.numberOfTrailingZeros(bits));
                bits &= bits - 1;
            }
        }
        dirtyCount = n;
        if (vm.manualDirtyProtect()) {
            rearmDirtyLog();
        }
        return n;
    }

    /**
     * Hot pages. With manual dirty-log protection the log is only read above; here every page
     * written is marked clean and write-protected again, except the hot pages: a page written
     * by this invocation and the one before it is pinned (up to {@link #HOT_PAGES}), and its
     * mark is never cleared. It stays writable, so the guest's next write to it costs no
     * write-protection fault (~4 us on a good day, ~13 us on a slow one, the largest part of
     * a warm invocation after the exit), and, marked for good, it is in every invocation's
     * dirty list and copied back at every reset, written or not (a 4 KiB copy, ~0.3 us).
     */
    private void rearmDirtyLog() {
        if (dirtyCount <= HOT_CANDIDATES) {
            for (int i = 0; i < dirtyCount && hotCount < HOT_PAGES; i++) {
                int page = dirty[i];
                if (!isHot(page) && wasDirtyBefore(page)) {
                    hot[hotCount++] = page;
                }
            }
        }
        previousCount = Math.min(dirtyCount, HOT_CANDIDATES);
        System.arraycopy(dirty, 0, previous, 0, previousCount);
        if (dirtyCount == hotCount) { // the hot pages are always marked: nothing else was written, nothing to clear
            return;
        }
        for (int i = 0; i < hotCount; i++) { // keep the hot pages' marks: clear all the others
            long word = hot[i] / 64;
            dirtyBitmap.setAtIndex(JAVA_LONG, word, dirtyBitmap.getAtIndex(JAVA_LONG, word) & ~(1L << (hot[i] % 64)));
        }
        vm.clearDirtyLog(0, dirtyBitmap, snapshot.memorySize() / PAGE);
    }

    private boolean isHot(int page) {
        for (int i = 0; i < hotCount; i++) {
            if (hot[i] == page) {
                return true;
            }
        }
        return false;
    }

    private boolean wasDirtyBefore(int page) {
        for (int i = 0; i < previousCount; i++) {
            if (previous[i] == page) {
                return true;
            }
        }
        return false;
    }

    /** Returns the memory to the snapshot's content (call {@link #collectDirtyPages()} first). */
    void reset() {
        MemorySegment pristine = snapshot.pristine();
        MemorySegment live = ram.segment();
        privatePages = Math.max(privatePages, Math.min(dirtyCount, COPY_BACK_LIMIT));
        for (int i = 0; i < dirtyCount; i++) {
            long at = dirty[i] * PAGE;
            if (i < COPY_BACK_LIMIT) {
                MemorySegment.copy(pristine, at, live, at, PAGE);
            } else {
                ram.drop(at, PAGE);
            }
        }
        dirtyCount = 0;
        Hypercall.Recv recv = snapshot.recv();
        restore(pristine, live, recv.args(), Abi.RECV.byteSize());
        restore(pristine, live, recv.buf(), requestBytes);
        requestBytes = 0;
    }

    private static void restore(MemorySegment pristine, MemorySegment live, long from, long length) {
        if (length > 0) {
            long start = from & -PAGE;
            long end = (from + length + PAGE - 1) & -PAGE;
            MemorySegment.copy(pristine, start, live, start, end - start);
        }
    }

    /**
     * Turns this shell, idle and reset, back into an empty VM with a memory slot of the same
     * size, for a cold start of any function on the runner {@code owner} (KVM binds the vCPU to
     * the thread that ran it). Cheaper than closing it and making a new VM: no VM to destroy,
     * none to create, both of which walk or lock the whole process's memory map.
     *
     * <p>What a next function could see of this one, and why it cannot:
     * <ul>
     * <li>memory: the slot is deleted first, which drops every KVM mapping of it and every
     *     shadow page of a guest page table in it; then this function's pages are discarded
     *     (the range set aside again, inaccessible), and the new slot covers nothing until the
     *     next snapshot's file is mapped over it;</li>
     * <li>registers: the next {@link #create} sets sregs, regs and the FPU, and every resume
     *     restores the extended state by XRSTOR from that snapshot, as between two invocations
     *     of one shell; state only CPL0 can change (MSRs, debug and control registers beyond
     *     sregs) is out of a guest's reach.</li>
     * </ul>
     * This shell is unusable afterwards, even if recycling fails (then everything is closed).
     */
    VmReserve.EmptyVm recycle(int owner) {
        if (broken) {
            throw new IllegalStateException("a broken shell is closed, never recycled");
        }
        Mapping range = null;
        try {
            vm.unmapMemory(0);
            range = ram.toReserve();
            vm.mapMemory(0, 0, range.segment(), true);
            arena.close();
            snapshot.release();
            return new VmReserve.EmptyVm(vm, vcpu, range.size(), range, owner);
        } catch (RuntimeException e) {
            close(); // ram's close is a no-op once its range was set aside: the range is closed here
            if (range != null) {
                range.close();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        vcpu.close();
        vm.close();
        ram.close();
        arena.close();
        snapshot.release();
    }
}
