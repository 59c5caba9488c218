package dev.thaw.invoker;

import dev.thaw.invoker.kvm.Kvm;
import dev.thaw.invoker.kvm.Mapping;
import dev.thaw.invoker.kvm.Vcpu;
import dev.thaw.invoker.kvm.Vm;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * VMs made ahead of need, so that a cold start does not wait for one: a VM with its vCPU
 * (CPUID and XCR0 set) and, once the reserve has seen a cold start of that memory size, a
 * memory slot over address space set aside for guest memory. What depends on the function,
 * its snapshot's memory and registers, is put in at the cold start: the snapshot's memory file
 * is mapped over the set-aside range ({@link Mapping#copyOnWriteAt}), which KVM follows
 * without a change of memory slot.
 *
 * <p>Why: on this host KVM_CREATE_VM costs ~0.25 ms, more in a process with many mappings
 * (see {@link dev.thaw.invoker.snapshot.Snapshot}), and KVM_SET_USER_MEMORY_REGION waits for
 * an SRCU grace period: ~45 us on an idle machine, milliseconds when both cores are busy. None
 * of that depends on the function, so none of it need be on a cold start's path.
 *
 * <p>Replenishing. A VM taken is replaced in kind (same memory size), but not at once: making
 * a VM takes the process's mmap lock for writing, which would stall the cold start's own page
 * faults. Runners call {@link #replenish()} when they have nothing to do. Under pressure, when
 * a take finds no VM or empties the reserve while an earlier debt is unpaid, it replenishes at
 * once. The filler thread then makes the missing VMs, oldest debt first, unless the reserve
 * can already serve every runner with one of that size.
 *
 * <p>Recycling. A retired shell's VM comes back through {@link #giveBack} ({@link
 * Shell#recycle}): it pays a debt of its size, so the filler need not make one, and serves
 * the next cold start of that size on the runner that ran it, before any VM that never ran.
 *
 * <p>Cost: each reserved VM holds the kernel's memory for a VM with one vCPU and its slot
 * (about 0.5 MiB here): one made ahead per runner, up to {@link #RECYCLED_PER_RUNNER} per
 * runner held; beyond that, the oldest is closed.
 */
final class VmReserve implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VmReserve.class.getName());
    private static final long RETRY_AFTER_FAILURE_MILLIS = 1_000;
    private static final long NO_SLOT = 0;
    /**
     * Recycled VMs held per runner at most: enough to carry shells retired at one moment over
     * to cold starts a little later, without making or destroying VMs in between.
     */
    static final int RECYCLED_PER_RUNNER = 8;
    /** The owner of a vCPU that never ran: any thread may run it first. */
    static final int ANY_THREAD = -1;

    /**
     * A VM and its vCPU, no registers set; with a memory slot of {@code slotBytes} over
     * {@code range} (dirty pages logged), or, when {@code slotBytes} is 0, no slot and no range.
     * {@code owner}: the runner whose thread ran the vCPU (a recycled shell's), which alone may
     * run it again; {@link #ANY_THREAD} for a vCPU that never ran.
     */
    record EmptyVm(Vm vm, Vcpu vcpu, long slotBytes, Mapping range, int owner) implements AutoCloseable {
        static EmptyVm create(Kvm kvm, long slotBytes) {
            Vm vm = kvm.createVm();
            Vcpu vcpu = null;
            Mapping range = null;
            try {
                vm.enableManualDirtyProtect(); // before the slot: see Shell, "Hot pages"
                vcpu = vm.createVcpu(0);
                if (slotBytes != NO_SLOT) {
                    range = Mapping.reserve(slotBytes);
                    vm.mapMemory(0, 0, range.segment(), true);
                }
                return new EmptyVm(vm, vcpu, slotBytes, range, ANY_THREAD);
            } catch (RuntimeException e) {
                if (vcpu != null) {
                    vcpu.close();
                }
                vm.close();
                if (range != null) {
                    range.close();
                }
                throw e;
            }
        }

        /** Closes the VM, and unmaps its range unless guest memory was mapped over it. */
        @Override
        public void close() {
            vcpu.close();
            vm.close();
            if (range != null) {
                range.close();
            }
        }
    }

    private final Kvm kvm;
    private final int runners; // the VMs made ahead: one per runner
    private final int capacity; // the most VMs held, recycled ones included
    private final Object lock = new Object();
    private final ArrayDeque<EmptyVm> ready = new ArrayDeque<>(); // oldest first; guarded by lock
    private final ArrayDeque<Long> owed = new ArrayDeque<>(); // sizes taken, not yet asked for; guarded by lock
    private final ArrayDeque<Long> wanted = new ArrayDeque<>(); // sizes the filler is to make; guarded by lock
    private final AtomicLong taken = new AtomicLong();
    private final AtomicLong missed = new AtomicLong();
    private final AtomicLong recycled = new AtomicLong();
    private final AtomicLong reused = new AtomicLong();
    private volatile boolean indebted;
    private boolean making; // the filler is making a VM; guarded by lock
    private final Thread filler;
    private volatile boolean closed;

    /**
     * A reserve for {@code runners} runners (at least one): it makes one VM ahead per runner
     * (at first without memory slots) and holds up to {@link #RECYCLED_PER_RUNNER} per runner.
     */
    VmReserve(Kvm kvm, int runners) {
        this.kvm = kvm;
        this.runners = runners;
        this.capacity = runners * RECYCLED_PER_RUNNER;
        for (int i = 0; i < runners; i++) {
            wanted.add(NO_SLOT);
        }
        this.filler = Thread.ofPlatform().name("thaw-vm-reserve").daemon().start(this::fill);
    }

    /**
     * A VM for guest memory of {@code memoryBytes}, to be run by runner {@code runner}
     * ({@link #ANY_THREAD} for another thread): a reserved one with a slot of that size
     * (recycled by that runner, or never run), else a reserved one without a slot, else one
     * made now.
     */
    EmptyVm take(long memoryBytes, int runner) {
        EmptyVm vm;
        boolean pressed;
        synchronized (lock) {
            vm = pick(memoryBytes, runner);
            owed.add(memoryBytes);
            indebted = true;
            // Under pressure (this take found nothing, or emptied the reserve with an earlier
            // debt still unpaid), making VMs now beats cold starts making their own. A lone cold
            // start that takes the last VM does not wake the filler: on 2 cores the filler would
            // preempt it or stall its page faults on the mmap lock (p99 +0.5 ms measured).
            pressed = vm == null || (ready.isEmpty() && owed.size() > 1);
        }
        if (pressed) {
            replenish();
        }
        if (vm != null) {
            taken.incrementAndGet();
            if (vm.owner() != ANY_THREAD) {
                reused.incrementAndGet();
            }
            return vm;
        }
        missed.incrementAndGet();
        return EmptyVm.create(kvm, NO_SLOT);
    }

    /**
     * The newest VM with a slot of that size that this runner recycled, else the newest such
     * VM that never ran (any runner can take those: they are kept for the others), else one
     * without a slot. Holding the lock.
     */
    private EmptyVm pick(long memoryBytes, int runner) {
        EmptyVm neverRan = null;
        EmptyVm noSlot = null;
        for (Iterator<EmptyVm> it = ready.descendingIterator(); it.hasNext(); ) {
            EmptyVm vm = it.next();
            if (vm.owner() == ANY_THREAD) {
                if (vm.slotBytes() == memoryBytes && neverRan == null) {
                    neverRan = vm;
                } else if (vm.slotBytes() == NO_SLOT && noSlot == null) {
                    noSlot = vm;
                }
            } else if (vm.owner() == runner && vm.slotBytes() == memoryBytes) {
                it.remove();
                return vm;
            }
        }
        EmptyVm vm = neverRan != null ? neverRan : noSlot;
        if (vm != null) {
            ready.remove(vm);
        }
        return vm;
    }

    /**
     * Takes back a VM made from a retired shell ({@link Shell#recycle}): it pays a VM the
     * reserve is owed or about to make, of its size; when the reserve is full, its oldest VM
     * makes room.
     */
    void giveBack(EmptyVm vm) {
        EmptyVm dropped = null;
        synchronized (lock) {
            if (!owed.remove(vm.slotBytes())) {
                wanted.remove(vm.slotBytes()); // not made now: this one takes its place
            }
            dropped = add(vm);
            recycled.incrementAndGet();
        }
        if (dropped != null) {
            dropped.close();
        }
        if (closed) {
            drain();
        }
    }

    /** VMs recycled from retired shells so far. */
    long recycled() {
        return recycled.get();
    }

    /** Recycled VMs taken for a cold start so far. */
    long reused() {
        return reused.get();
    }

    /** Lets the filler make up for the VMs taken so far. Cheap when nothing was taken. */
    void replenish() {
        if (!indebted) {
            return;
        }
        synchronized (lock) {
            wanted.addAll(owed);
            owed.clear();
            indebted = false;
            lock.notifyAll();
        }
    }

    /**
     * Asks for the VMs taken so far and waits until the filler has made them all, or until
     * {@code timeout} passes; returns whether it settled. For measuring a cold start on a
     * host that is not making VMs at the same moment (a benchmark), never on the invoke path.
     */
    boolean awaitSettled(Duration timeout) throws InterruptedException {
        replenish();
        long until = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while ((making || !wanted.isEmpty()) && !closed) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    /** VMs handed out from the reserve. */
    long taken() {
        return taken.get();
    }

    /** VMs made on demand because the reserve had none that fitted. */
    long missed() {
        return missed.get();
    }

    /** VMs waiting in the reserve now with a slot for {@code memoryBytes} of guest memory. */
    int available(long memoryBytes) {
        synchronized (lock) {
            return (int) ready.stream().filter(vm -> vm.slotBytes() == memoryBytes).count();
        }
    }

    /** VMs waiting in the reserve now. */
    int available() {
        synchronized (lock) {
            return ready.size();
        }
    }

    /**
     * Puts a VM in the reserve; when it is full, takes out the oldest (most likely of a size
     * no longer in demand) for the caller to close outside the lock. Holding the lock.
     */
    private EmptyVm add(EmptyVm vm) {
        EmptyVm dropped = ready.size() >= capacity ? ready.pollFirst() : null;
        ready.addLast(vm);
        return dropped;
    }

    private void fill() {
        while (!closed) {
            long size;
            synchronized (lock) {
                while (wanted.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                size = wanted.poll();
                if (servesEveryRunner(size)) { // recycled VMs paid for it meanwhile
                    lock.notifyAll(); // for awaitSettled
                    continue;
                }
                making = true;
            }
            EmptyVm vm;
            try {
                vm = EmptyVm.create(kvm, size);
            } catch (RuntimeException e) { // out of memory or descriptors: cold starts make their own meanwhile
                LOG.log(System.Logger.Level.WARNING, "could not make a VM for the reserve; retrying in "
                        + RETRY_AFTER_FAILURE_MILLIS + " ms: " + e.getMessage());
                synchronized (lock) {
                    making = false;
                    wanted.addFirst(size);
                }
                if (!sleep(RETRY_AFTER_FAILURE_MILLIS)) {
                    return;
                }
                continue;
            }
            EmptyVm dropped;
            synchronized (lock) {
                dropped = add(vm);
                making = false;
                lock.notifyAll(); // for awaitSettled
            }
            if (dropped != null) {
                dropped.close();
            }
            if (closed) { // close() may have drained the reserve before this VM went in
                drain();
            }
        }
    }

    /**
     * Whether the reserve holds a VM with a slot of {@code size} for each runner: one per
     * runner at least, and one each runner may run. Holding the lock.
     */
    private boolean servesEveryRunner(long size) {
        int count = 0;
        int anyThread = 0;
        boolean[] owned = new boolean[runners];
        for (EmptyVm vm : ready) {
            if (vm.slotBytes() == size) {
                count++;
                if (vm.owner() == ANY_THREAD) {
                    anyThread++;
                } else if (vm.owner() < runners) {
                    owned[vm.owner()] = true;
                }
            }
        }
        int unserved = 0;
        for (boolean o : owned) {
            unserved += o ? 0 : 1;
        }
        return count >= runners && anyThread >= unserved;
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private void drain() {
        while (true) {
            EmptyVm vm;
            synchronized (lock) {
                vm = ready.pollFirst();
            }
            if (vm == null) {
                return;
            }
            vm.close();
        }
    }

    /** Stops the filler and closes the VMs in the reserve. */
    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        filler.interrupt();
        try {
            filler.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
    }
}
