package dev.thaw.registry;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A redis-server child process on a free 127.0.0.1 port for one test class, with an empty
 * database before each test. Register it on a static field with {@code @RegisterExtension}.
 */
public final class RedisServer implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {
    private static final Path EXECUTABLE = Path.of("/usr/bin/redis-server");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    /** Another process may take the free port we picked before redis-server binds it. */
    private static final int START_ATTEMPTS = 3;

    private Path dir;
    private Process process;
    private int port;

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Runs one command and returns the first line of Redis's reply, e.g. "+OK" or ":3". */
    public String command(String... args) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            StringBuilder request = new StringBuilder("*" + args.length + "\r\n");
            for (String arg : args) {
                request.append('$').append(arg.getBytes(UTF_8).length).append("\r\n").append(arg).append("\r\n");
            }
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(UTF_8));
            out.flush();
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8)).readLine();
        }
    }

    /** The text of {@code INFO section}. */
    public String info(String section) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("INFO " + section + "\r\n").getBytes(UTF_8));
            out.flush();
            java.io.InputStream in = socket.getInputStream();
            StringBuilder header = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("INFO: connection closed");
                }
                header.append((char) c);
            }
            if (header.charAt(0) != '$') {
                throw new IOException("INFO answered " + header);
            }
            return new String(in.readNBytes(Integer.parseInt(header.toString().strip().substring(1))), UTF_8);
        }
    }

    /** How many keys the database holds. */
    public long keyCount() throws IOException {
        return Long.parseLong(command("DBSIZE").substring(1));
    }

    /** Freezes the server (SIGSTOP): connections stay open and nothing answers. */
    public void pause() throws InterruptedException {
        signal("STOP");
    }

    /** Lets a paused server go on (SIGCONT). */
    public void resume() throws InterruptedException {
        signal("CONT");
    }

    /** Kills the server (SIGKILL): connections are reset and refused until {@link #restart()}. */
    public void kill() throws Exception {
        process.destroyForcibly().waitFor();
    }

    /** Starts the server again on the same port (its data is gone: nothing is persisted). */
    public void restart() throws Exception {
        if (process.isAlive()) {
            stop();
        }
        start();
        if (!answersPing()) {
            fail("redis-server did not come back on port " + port);
        }
    }

    private void signal(String name) throws InterruptedException {
        int status;
        try {
            status = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill", e);
        }
        if (status != 0 && process.isAlive()) {
            fail("kill -" + name + " failed");
        }
    }

    private void start() throws IOException {
        process = new ProcessBuilder(EXECUTABLE.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--dir", dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
                .start();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (!Files.isExecutable(EXECUTABLE)) {
            fail("redis-server is not installed (apt-get install redis-server); ./test installs it");
        }
        dir = Files.createTempDirectory("thaw-redis-test");
        Path log = dir.resolve("redis.log");
        for (int attempt = 1; ; attempt++) {
            port = freePort();
            start();
            if (answersPing()) {
                return;
            }
            stop();
            if (attempt == START_ATTEMPTS) {
                fail("redis-server did not answer PING on port " + port + "; its output:\n" + Files.readString(log));
            }
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        String reply = command("FLUSHALL");
        if (!reply.equals("+OK")) {
            fail("FLUSHALL answered " + reply);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    private boolean answersPing() throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (process.isAlive() && System.nanoTime() < deadline) {
            try {
                if ("+PONG".equals(command("PING"))) {
                    return true;
                }
            } catch (IOException notListeningYet) {
                // try again below
            }
            Thread.sleep(10);
        }
        return false;
    }

    private void stop() throws InterruptedException {
        if (process.isAlive()) {
            resume(); // a paused server would not act on SIGTERM
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
