package dev.thaw.invoker.service;

import dev.thaw.invoker.Engine;
import dev.thaw.protocol.BearerSecret;
import dev.thaw.protocol.InvokerApi;
import dev.thaw.registry.InvokerDirectory;
import dev.thaw.registry.InvokerInfo;
import dev.thaw.registry.RedisFunctionRegistry;
import dev.thaw.registry.RedisInvocationStore;
import dev.thaw.registry.RedisInvokerDirectory;
import dev.thaw.snapshotter.SnapshotStore;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A standalone invoker for cluster mode. It serves {@link InvokerServer} and announces itself
 * in Redis every second with a 3 s lifetime: an invoker that dies drops out of every
 * gateway's view within 3 s. Gateways must present the cluster secret.
 */
@Command(name = "invoker", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs Thaw functions for the gateways of a cluster.")
public final class InvokerMain implements Callable<Integer> {
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static final Duration TTL = Duration.ofSeconds(3);
    private static final int MAX_BODY = 64 * 1024 * 1024;

    /** Where the Redis URI may come from instead of --redis, so that its password is not on the command line. */
    static final String REDIS_ENV = "THAW_REDIS_URI";

    @Option(names = "--redis", paramLabel = "URI",
            description = "Redis, e.g. redis://127.0.0.1:6379 (else $" + REDIS_ENV + ", which keeps a password out of ps).")
    String redis;

    @Option(names = "--port", defaultValue = "9001", paramLabel = "N", description = "HTTP port (0: any free one; default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 for other hosts' gateways).")
    String bind;

    @Option(names = "--advertise", paramLabel = "URL",
            description = "The URL gateways use to reach this invoker (default: http://<bind or host name>:<port>).")
    String advertise;

    @Option(names = "--id", paramLabel = "ID", description = "This invoker's name (default: its address).")
    String id;

    @Option(names = "--snapshots", paramLabel = "DIR", description = "Where snapshots are built (default ~/.thaw/snapshots).")
    Path snapshots;

    @Option(names = "--runners", paramLabel = "N", description = "Runner threads (default: one per CPU).")
    Integer runners;

    @Option(names = "--kafka-bootstrap", paramLabel = "HOST:PORT",
            description = "Kafka, to run the async invocations gateways store there (default: none).")
    String kafkaBootstrap;

    @Option(names = "--kafka-partitions", defaultValue = "6", paramLabel = "N",
            description = "Partitions of the async invocations topic, when this invoker creates it (default ${DEFAULT-VALUE}).")
    int kafkaPartitions;

    @Option(names = "--record-retention", defaultValue = "PT1H", paramLabel = "DURATION",
            description = "How long async invocations' records are kept (ISO-8601, default ${DEFAULT-VALUE}).")
    Duration recordRetention;

    @Option(names = "--secret-file", paramLabel = "FILE",
            description = "The cluster secret gateways present (else $" + InvokerApi.SECRET_ENV + ").")
    Path secretFile;

    /** Kept: java.util.logging holds loggers weakly, and the Kafka clients log every setting at INFO. */
    private static final java.util.logging.Logger KAFKA_LOG = java.util.logging.Logger.getLogger("org.apache.kafka");

    public static void main(String[] args) {
        KAFKA_LOG.setLevel(java.util.logging.Level.WARNING);
        CommandLine cli = new CommandLine(new InvokerMain());
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            System.err.println("invoker: " + e.getMessage()); // one line: no stack trace for the operator
            return 1;
        });
        System.exit(cli.execute(args));
    }

    private BearerSecret secret() throws Exception {
        if (secretFile != null) {
            return BearerSecret.read(secretFile, "the cluster secret");
        }
        String fromEnvironment = System.getenv(InvokerApi.SECRET_ENV);
        if (fromEnvironment == null || fromEnvironment.isBlank()) {
            throw new IllegalArgumentException("a cluster secret is required: --secret-file FILE or $" + InvokerApi.SECRET_ENV
                    + " (the same one the gateways have as thaw.cluster-secret)");
        }
        return BearerSecret.of(fromEnvironment, "$" + InvokerApi.SECRET_ENV);
    }

    /** The Redis URI: the option, else the environment variable (a command line is readable by every local user). */
    static String redisUri(String option, Map<String, String> environment) {
        if (option != null) {
            return option;
        }
        String fromEnvironment = environment.get(REDIS_ENV);
        if (fromEnvironment == null || fromEnvironment.isBlank()) {
            throw new IllegalArgumentException("Redis is required: --redis URI or $" + REDIS_ENV);
        }
        return fromEnvironment.strip();
    }

    @Override
    public Integer call() throws Exception {
        String redisUri = redisUri(redis, System.getenv());
        BearerSecret secret = secret();
        Path snapshotDir = snapshots != null ? snapshots : Path.of(System.getProperty("user.home"), ".thaw", "snapshots");
        Engine engine = runners != null ? Engine.start(runners) : Engine.start();
        RedisFunctionRegistry registry = new RedisFunctionRegistry(redisUri);
        FunctionHost host = new FunctionHost(engine, new SnapshotStore(snapshotDir), registry,
                snapshotDir.resolveSibling("work-" + ProcessHandle.current().pid()));
        InvokerServer server = new InvokerServer(host, registry, secret, bind, port, MAX_BODY);
        String url = advertise != null ? advertise.replaceAll("/+$", "")
                : "http://" + (bind.equals("0.0.0.0") ? InetAddress.getLocalHost().getHostName() : bind) + ":" + server.port();
        String name = id != null ? id : server.id();
        server.id(name);
        InvokerDirectory directory = new RedisInvokerDirectory(redisUri);
        RedisInvocationStore records = new RedisInvocationStore(redisUri, recordRetention);
        AsyncWork async = kafkaBootstrap == null ? null
                : AsyncWork.start(kafkaBootstrap, kafkaPartitions, name, host, registry, records);
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("thaw-heartbeat").daemon().unstarted(r));
        heartbeat.scheduleAtFixedRate(() -> {
            try {
                directory.heartbeat(new InvokerInfo(name, url, host.capacity(), host.inFlight(), Instant.now()), TTL);
            } catch (RuntimeException e) {
                System.err.println("invoker: heartbeat failed: " + e.getMessage());
            }
        }, 0, HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            heartbeat.shutdownNow();
            if (async != null) {
                async.close();
            }
            records.close();
            try {
                directory.leave(name);
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
        System.out.println("thaw invoker " + name + " listening on " + url);
        System.out.flush();
        stopped.await();
        return 0;
    }
}
