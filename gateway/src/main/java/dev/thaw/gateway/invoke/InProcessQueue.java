package dev.thaw.gateway.invoke;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** A bounded queue in this JVM with a few worker threads; jobs are lost if the process dies. */
public final class InProcessQueue implements InvocationQueue {
    private final BlockingQueue<Runnable> queue;
    private final ThreadPoolExecutor workers;

    public InProcessQueue(int workers, int capacity) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.workers = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.SECONDS, queue,
                r -> Thread.ofPlatform().name("thaw-async").daemon().unstarted(r));
    }

    @Override
    public boolean offer(Runnable job) {
        try {
            workers.execute(job);
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return false;
        }
    }

    @Override
    public int depth() {
        return queue.size();
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
