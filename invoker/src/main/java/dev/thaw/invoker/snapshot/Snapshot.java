package dev.thaw.invoker.snapshot;

import static dev.thaw.invoker.kvm.KvmStructs.KVM_REGS;
import static dev.thaw.invoker.kvm.KvmStructs.KVM_SREGS;
import static dev.thaw.invoker.kvm.KvmStructs.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.thaw.invoker.abi.Abi;
import dev.thaw.invoker.abi.AbiViolation;
import dev.thaw.invoker.abi.Hypercall;
import dev.thaw.invoker.kvm.GuestMemory;
import dev.thaw.invoker.kvm.Mapping;
import dev.thaw.invoker.machine.EntryState;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A snapshot loaded and checked, ready to be instantiated many times. While it has shells it
 * keeps one read-only, shared mapping of the memory file: the pristine image that resets copy
 * from. Everything taken from the snapshot's memory here was read through the checked accessor.
 *
 * <p>Why the pristine mapping is held only while shells use it ({@link #acquire}/{@link
 * #release}): every KVM_CREATE_VM registers an MMU notifier, which takes the lock of every
 * mapping in the process (mm_take_all_locks) with the process's mmap lock held for writing.
 * Creating a VM therefore costs time linear in the number of mappings, and stops every other
 * thread's page faults meanwhile: measured here, 0.25 ms with none and 1.9 ms with 10,000. A
 * host with 10,000 idle functions must not hold 10,000 mappings for them.
 */
public final class Snapshot implements AutoCloseable {

    private final Path dir;
    private final SnapshotState state;
    private final Hypercall.Recv recv;
    private volatile Mapping pristine; // from the first reset while users > 0 (written under this)
    private int users; // guarded by this
    private boolean closed; // guarded by this
    private final Arena arena = Arena.ofAuto(); // the register images: freed with the snapshot object
    private final MemorySegment regs;
    private final MemorySegment sregs;
    private final MemorySegment fpu;

    private Snapshot(Path dir, SnapshotState state, Hypercall.Recv recv) {
        this.dir = dir;
        this.state = state;
        this.recv = recv;
        this.regs = arena.allocate(KVM_REGS);
        this.sregs = arena.allocate(KVM_SREGS);
        this.fpu = arena.allocate(state.fpu().length, 16);
        MemorySegment.copy(state.regs(), 0, regs, JAVA_BYTE, 0, state.regs().length);
        MemorySegment.copy(state.sregs(), 0, sregs, JAVA_BYTE, 0, state.sregs().length);
        MemorySegment.copy(state.fpu(), 0, fpu, JAVA_BYTE, 0, state.fpu().length);
        sregs.set(JAVA_LONG, offset(KVM_SREGS, "cr2"), EntryState.CR2_SENTINEL);
    }

    /**
     * Loads the snapshot in {@code dir} for a host whose CPU fingerprint is {@code hostCpu}.
     * Refuses other format versions, other CPUs, and anything inconsistent.
     */
    public static Snapshot load(Path dir, String hostCpu) throws SnapshotException {
        SnapshotState state = SnapshotFormat.readState(dir);
        if (!state.cpuFingerprint().equals(hostCpu)) {
            throw new SnapshotException("snapshot " + dir + " was built on a host whose CPU offers other features "
                    + "(CPU fingerprint " + state.cpuFingerprint() + ", this host " + hostCpu
                    + "); snapshots are per host: rebuild it here");
        }
        Path memoryFile = dir.resolve(SnapshotFormat.MEMORY_FILE);
        try {
            if (!Files.isRegularFile(memoryFile) || Files.size(memoryFile) != state.memorySize()) {
                throw new SnapshotException("snapshot " + dir + ": memory file missing or not " + state.memorySize() + " bytes");
            }
        } catch (IOException e) {
            throw new SnapshotException("snapshot " + dir + ": " + e.getMessage(), e);
        }
        try (Mapping pristine = Mapping.readOnly(memoryFile, state.memorySize())) {
            GuestMemory memory = new GuestMemory(pristine.segment());
            Hypercall.Recv recv = checkedRecv(memory, state, dir);
            return new Snapshot(dir, state, recv);
        }
    }

    /**
     * The guest must be stopped just past a recv hypercall whose buffer and struct lie in
     * memory it can write itself (see {@link RecvPlacement}).
     */
    private static Hypercall.Recv checkedRecv(GuestMemory memory, SnapshotState state, Path dir) throws SnapshotException {
        try {
            long rip = MemorySegment.ofArray(state.regs()).get(JAVA_LONG_UNALIGNED, offset(KVM_REGS, "rip"));
            if (memory.readByte(rip - 1) != Abi.OUT_DX_EAX) {
                throw new SnapshotException("snapshot " + dir + " is not stopped after a hypercall");
            }
            if (!(Hypercall.decode(Abi.HC_RECV, state.recvArgs(), memory) instanceof Hypercall.Recv recv)) {
                throw new AssertionError();
            }
            Optional<String> refusal = RecvPlacement.refusal(memory, MemorySegment.ofArray(state.sregs()), recv);
            if (refusal.isPresent()) {
                throw new SnapshotException("snapshot " + dir + " is refused: " + refusal.get());
            }
            return recv;
        } catch (GuestMemory.OutOfRangeException | AbiViolation e) {
            throw new SnapshotException("snapshot " + dir + " is inconsistent: " + e.getMessage(), e);
        }
    }

    public Path directory() {
        return dir;
    }

    public Path memoryFile() {
        return dir.resolve(SnapshotFormat.MEMORY_FILE);
    }

    public long memorySize() {
        return state.memorySize();
    }

    /** The request buffer and reply struct of the recv the snapshot waits in. */
    public Hypercall.Recv recv() {
        return recv;
    }

    /**
     * One more user of the pristine image (a shell). The image is mapped on its first read
     * ({@link #pristine()}): a shell reads it only to reset, after its first invocation has
     * answered, so a cold start does not wait for the mapping. Every call is paired with one
     * {@link #release()}.
     *
     * @throws IllegalStateException when the snapshot is closed
     */
    public synchronized void acquire() {
        if (closed) {
            throw new IllegalStateException("snapshot " + dir + " is closed");
        }
        users++;
    }

    /** One user fewer; the last one unmaps the pristine image. */
    public synchronized void release() {
        if (users <= 0) {
            throw new IllegalStateException("snapshot " + dir + " released more often than acquired");
        }
        if (--users == 0 && pristine != null) {
            pristine.close();
            pristine = null;
        }
    }

    /** Whether the pristine image is mapped now (only while a shell holds the snapshot). */
    public synchronized boolean mapped() {
        return pristine != null;
    }

    /** The memory as it was at the snapshot point; read-only. Only while {@link #acquire acquired}. */
    public MemorySegment pristine() {
        Mapping p = pristine;
        if (p == null) {
            p = mapPristine();
        }
        return p.segment();
    }

    private synchronized Mapping mapPristine() {
        if (users == 0) {
            throw new IllegalStateException("snapshot " + dir + ": the pristine image is read only while acquired");
        }
        if (pristine == null) {
            pristine = Mapping.readOnly(memoryFile(), state.memorySize());
        }
        return pristine;
    }

    /** kvm_regs at the snapshot point. */
    public MemorySegment regs() {
        return regs;
    }

    /** kvm_sregs at the snapshot point, with CR2 set to the entry sentinel. */
    public MemorySegment sregs() {
        return sregs;
    }

    public MemorySegment fpu() {
        return fpu;
    }

    /**
     * No new users from now on. The pristine image goes with the last user; the register
     * images stay readable (a shell being closed on another thread may still hold them).
     */
    @Override
    public synchronized void close() {
        closed = true;
    }
}
