package dev.thaw.invoker;

import dev.thaw.invoker.kvm.KvmException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A platform thread that runs vCPUs, with its own warm shells. KVM ties a vCPU to the thread
 * that last ran it (switching costs a synchronize_rcu()), so a shell never leaves its runner:
 * invocations come to the runner, not the other way round.
 */
final class Runner {
    /** Work for a runner, executed on its thread. */
    sealed interface Task {
        record Invoke(Sandbox sandbox, byte[] input, Limits limits, long submitted, CompletableFuture<Result> result)
                implements Task {}

        record Prewarm(Sandbox sandbox, int shells, CompletableFuture<Void> done) implements Task {}

        record Evict(Sandbox sandbox, CountDownLatch done) implements Task {}

        record Stop() implements Task {}
    }

    private final Engine engine;
    private final int index;
    private final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger load = new AtomicInteger();
    private final Map<Sandbox, ArrayDeque<Shell>> idle = new HashMap<>(); // runner thread only
    private final SecureRandom random = new SecureRandom();
    private final byte[] entropy = new byte[32];
    private final Thread thread;
    private Watchdog.Slot slot;

    Runner(Engine engine, int index) {
        this.engine = engine;
        this.index = index;
        this.thread = Thread.ofPlatform().name("thaw-runner-" + index).daemon().start(this::loop);
    }

    int index() {
        return index;
    }

    /** Queued plus running invocations. */
    int load() {
        return load.get();
    }

    void submit(Task task) {
        if (task instanceof Task.Invoke) {
            load.incrementAndGet();
        }
        queue.add(task);
    }

    void join() throws InterruptedException {
        thread.join();
    }

    private void loop() {
        slot = engine.watchdog().register();
        try {
            while (true) {
                Task task = queue.take();
                switch (task) {
                    case Task.Invoke invoke -> {
                        try {
                            invoke(invoke);
                        } finally {
                            load.decrementAndGet();
                        }
                    }
                    case Task.Prewarm prewarm -> prewarm(prewarm);
                    case Task.Evict evict -> evict(evict.sandbox(), evict.done());
                    case Task.Stop stop -> {
                        for (Sandbox s : idle.keySet().toArray(Sandbox[]::new)) {
                            evict(s, null);
                        }
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            slot.close();
        }
    }

    private void invoke(Task.Invoke task) {
        long start = System.nanoTime();
        Sandbox sandbox = task.sandbox();
        Shell shell;
        try {
            shell = takeShell(sandbox);
        } catch (RuntimeException e) {
            task.result().completeExceptionally(e);
            return;
        }
        boolean warm = shell.warm();
        byte[] input = task.input();
        if (input.length > shell.inputCapacity()) {
            giveBack(sandbox, shell);
            long now = System.nanoTime();
            task.result().complete(Outcomes.inputTooLarge(input.length, shell.inputCapacity(),
                    new Timings(start - task.submitted(), 0, now - task.submitted(), 0, 0, warm)));
            return;
        }
        try {
            random.nextBytes(entropy);
            shell.deliver(input, entropy, engine.tscKhz());
            Output output = new Output(task.limits().maxOutputBytes());
            long deadline = start + task.limits().timeout().toNanos();
            GuestRun run = shell.newRun(deadline, output);
            long runStart = System.nanoTime();
            slot.arm(deadline);
            GuestRun.Stop stop;
            try {
                stop = shell.run(run);
            } finally {
                slot.disarm();
            }
            long runEnd = System.nanoTime();
            int dirty = shell.broken() ? 0 : shell.collectDirtyPages();
            Timings timings = new Timings(start - task.submitted(), runEnd - runStart, runEnd - task.submitted(),
                    run.exits(), dirty, warm);
            if (shell.broken()) {
                sandbox.stats().discarded.incrementAndGet();
            }
            task.result().complete(Outcomes.of(stop, output, task.limits(), timings));
        } catch (KvmException | IllegalStateException | IndexOutOfBoundsException e) {
            shell.markBroken();
            sandbox.stats().discarded.incrementAndGet();
            task.result().completeExceptionally(e);
        }
        if (shell.broken()) {
            engine.closeLater(shell);
        } else {
            shell.reset();
            giveBack(sandbox, shell);
        }
    }

    private Shell takeShell(Sandbox sandbox) {
        ArrayDeque<Shell> shells = idle.get(sandbox);
        Shell shell = shells == null ? null : shells.pollFirst();
        if (shell != null) {
            sandbox.idleChanged(index, -1);
            return shell;
        }
        sandbox.stats().created.incrementAndGet();
        return Shell.create(engine.kvm(), sandbox.snapshot(), slot.runMask());
    }

    private void giveBack(Sandbox sandbox, Shell shell) {
        ArrayDeque<Shell> shells = idle.computeIfAbsent(sandbox, s -> new ArrayDeque<>());
        if (sandbox.closed() || shells.size() >= sandbox.maxIdlePerRunner()) {
            engine.closeLater(shell);
            return;
        }
        shells.addFirst(shell); // most recently used first: its pages are the warmest
        sandbox.idleChanged(index, +1);
    }

    private void prewarm(Task.Prewarm task) {
        try {
            for (int i = 0; i < task.shells(); i++) {
                task.sandbox().stats().created.incrementAndGet();
                giveBack(task.sandbox(), Shell.create(engine.kvm(), task.sandbox().snapshot(), slot.runMask()));
            }
            task.done().complete(null);
        } catch (RuntimeException e) {
            task.done().completeExceptionally(e);
        }
    }

    private void evict(Sandbox sandbox, CountDownLatch done) {
        ArrayDeque<Shell> shells = idle.remove(sandbox);
        if (shells != null) {
            for (Shell s : shells) {
                sandbox.idleChanged(index, -1);
                s.close();
            }
        }
        if (done != null) {
            done.countDown();
        }
    }
}
