package dev.thaw.invoker.service;

import dev.thaw.invoker.Engine;
import dev.thaw.registry.InvokerDirectory;
import dev.thaw.registry.InvokerInfo;
import dev.thaw.registry.RedisFunctionRegistry;
import dev.thaw.registry.RedisInvokerDirectory;
import dev.thaw.snapshotter.SnapshotStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A standalone invoker for cluster mode:
 * <pre>
 *   invoker --redis redis://127.0.0.1:6379 [--port 9001] [--bind 127.0.0.1] [--id ID]
 *           [--snapshots DIR] [--runners N]
 * </pre>
 * It serves {@link InvokerServer} and announces itself in Redis every second with a 3 s
 * lifetime: an invoker that dies drops out of every gateway's view within 3 s.
 */
public final class InvokerMain {
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static final Duration TTL = Duration.ofSeconds(3);
    private static final int MAX_BODY = 64 * 1024 * 1024;

    private InvokerMain() {}

    public static void main(String[] args) throws Exception {
        try {
            run(options(args));
        } catch (Exception e) {
            System.err.println("invoker: " + e.getMessage()); // one line: no stack trace for the operator
            System.exit(1);
        }
    }

    private static void run(Map<String, String> opts) throws Exception {
        String redis = opts.get("redis");
        if (redis == null) {
            System.err.println("invoker: --redis redis://host:port is required");
            System.exit(2);
        }
        String bind = opts.getOrDefault("bind", "127.0.0.1");
        int port = Integer.parseInt(opts.getOrDefault("port", "9001"));
        Path snapshots = Path.of(opts.getOrDefault("snapshots", System.getProperty("user.home") + "/.thaw/snapshots"));
        Engine engine = opts.containsKey("runners") ? Engine.start(Integer.parseInt(opts.get("runners"))) : Engine.start();
        RedisFunctionRegistry registry = new RedisFunctionRegistry(redis);
        FunctionHost host = new FunctionHost(engine, new SnapshotStore(snapshots), registry,
                snapshots.resolveSibling("work-" + ProcessHandle.current().pid()));
        InvokerServer server = new InvokerServer(host, registry, bind, port, MAX_BODY);
        String url = "http://" + bind + ":" + server.port();
        String id = opts.getOrDefault("id", server.id());
        server.id(id);
        InvokerDirectory directory = new RedisInvokerDirectory(redis);
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("thaw-heartbeat").daemon().unstarted(r));
        heartbeat.scheduleAtFixedRate(() -> {
            try {
                directory.heartbeat(new InvokerInfo(id, url, host.capacity(), host.inFlight(), Instant.now()), TTL);
            } catch (RuntimeException e) {
                System.err.println("invoker: heartbeat failed: " + e.getMessage());
            }
        }, 0, HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            heartbeat.shutdownNow();
            try {
                directory.leave(id);
            } catch (RuntimeException ignored) {
                // the entry expires by itself
            }
            server.close();
            host.close();
            engine.close();
            registry.close();
            directory.close();
            stopped.countDown();
        }));
        System.out.println("thaw invoker " + id + " listening on " + url);
        System.out.flush();
        stopped.await();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("invoker: bad argument '" + args[i] + "'");
                System.exit(2);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        return opts;
    }
}
