package dev.thaw.invoker;

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

        record Prewarm(Sandbox sandbox, int shells, byte[] warmupInput, CompletableFuture<Void> done) implements Task {}

        record Evict(Sandbox sandbox, CountDownLatch done) implements Task {}

        record Stop() implements Task {}
    }

    private static final long SPIN_NANOS = 20_000;

    private final Engine engine;
    private final int index;
    private final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger load = new AtomicInteger();
    private final Map<Sandbox, ArrayDeque<Shell>> idle = new HashMap<>(); // runner thread only
    private final Thread thread;
    private Watchdog.Slot slot;
    private Invocation invocation;

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
        invocation = new Invocation(slot, engine.tscKhz());
        try {
            while (true) {
                Task task = next();
                if (task == null) {
                    if (replenish()) {
                        continue;
                    }
                    task = queue.take();
                }
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

    /**
     * The next task, waiting up to ~20 us for one before giving up: under load the next
     * request usually arrives within that, and finding it spinning costs no futex wake-up.
     */
    private Task next() {
        long until = System.nanoTime() + SPIN_NANOS;
        do {
            Task task = queue.poll();
            if (task != null) {
                return task;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - until < 0);
        return null;
    }

    private void invoke(Task.Invoke task) {
        Sandbox sandbox = task.sandbox();
        if (sandbox.closed()) { // its snapshot may be unmapped already; tasks run in order, so this is enough
            task.result().completeExceptionally(new IllegalStateException("sandbox " + sandbox.snapshot().directory()
                    + " was closed before the invocation ran"));
            return;
        }
        Shell shell;
        try {
            shell = takeShell(sandbox);
        } catch (RuntimeException e) {
            task.result().completeExceptionally(e);
            return;
        }
        try {
            Result result = invocation.run(shell, task.input(), task.limits(), task.submitted(), sandbox.reportedOnce());
            if (shell.broken()) {
                sandbox.stats().discarded.incrementAndGet();
            }
            task.result().complete(result);
        } catch (RuntimeException e) {
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
        if (sandbox.closed()) {
            engine.closeLater(shell);
            return;
        }
        ArrayDeque<Shell> shells = idle.computeIfAbsent(sandbox, s -> new ArrayDeque<>());
        if (shells.size() >= sandbox.maxIdlePerRunner()) {
            engine.closeLater(shell);
            return;
        }
        shells.addFirst(shell); // most recently used first: its pages are the warmest
        sandbox.idleChanged(index, +1);
    }

    /**
     * With nothing queued, creates one shell for a sandbox this runner serves that has fewer
     * idle shells here than it wants (after a crash discarded one, say). Returns whether it did.
     */
    private boolean replenish() {
        for (Map.Entry<Sandbox, ArrayDeque<Shell>> e : idle.entrySet()) {
            Sandbox sandbox = e.getKey();
            if (!sandbox.closed() && e.getValue().size() < sandbox.minIdlePerRunner()) {
                try {
                    sandbox.stats().created.incrementAndGet();
                    giveBack(sandbox, Shell.create(engine.kvm(), sandbox.snapshot(), slot.runMask()));
                    return true;
                } catch (RuntimeException ex) {
                    return false; // out of memory or descriptors: serve requests, try again later
                }
            }
        }
        return false;
    }

    private void prewarm(Task.Prewarm task) {
        if (task.sandbox().closed()) {
            task.done().completeExceptionally(new IllegalStateException("sandbox closed"));
            return;
        }
        try {
            for (int i = 0; i < task.shells(); i++) {
                task.sandbox().stats().created.incrementAndGet();
                Shell shell = Shell.create(engine.kvm(), task.sandbox().snapshot(), slot.runMask());
                if (task.warmupInput() != null) {
                    invocation.run(shell, task.warmupInput(), Limits.DEFAULT, System.nanoTime(),
                            new java.util.HashSet<>()); // its result is dropped: report nothing as done
                    if (shell.broken()) {
                        engine.closeLater(shell);
                        throw new IllegalStateException("warming a shell failed: the warm-up invocation did not exit");
                    }
                    shell.reset();
                }
                giveBack(task.sandbox(), shell);
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
