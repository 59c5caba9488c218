package dev.thaw.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.thaw.gateway.invoke.AsyncQueue;
import dev.thaw.invoker.service.AsyncRunner;
import dev.thaw.protocol.AsyncInvocation;
import dev.thaw.registry.InvocationRecord;
import dev.thaw.registry.InvocationStore;
import dev.thaw.registry.RecordJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * The embedded platform's async invocations without Kafka: a journal in the state directory,
 * so that {@code kill -9} loses no accepted work. An invocation is written to
 * {@code async/pending/<id>} and forced to disk before the caller gets its 202; when it has
 * run, its record is written to {@code async/done/<id>.json} and forced to disk, and only then
 * is the pending entry removed. At start, the done records (within the retention) go back
 * into the record store and every pending entry runs again: at least once, like Kafka. A
 * crash between the two writes means one more run, whose result replaces the first.
 */
final class LocalJournalQueue implements AsyncQueue {
    private static final System.Logger LOG = System.getLogger(LocalJournalQueue.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Invocations running at once; the rest wait (their journal entries are on disk already). */
    private static final int PARALLELISM = 64;
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final Path pending;
    private final Path done;
    private final Path deadLetters;
    private final AsyncRunner runner;
    private final InvocationStore store;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore running = new Semaphore(PARALLELISM);
    private volatile boolean closed;

    /** Opens the journal in {@code dir}, restores the records it kept and runs what was pending. */
    LocalJournalQueue(Path dir, AsyncRunnerFactory runners, InvocationStore store) throws IOException {
        this.pending = Files.createDirectories(dir.resolve("pending"));
        this.done = Files.createDirectories(dir.resolve("done"));
        this.deadLetters = Files.createDirectories(dir.resolve("dead-letters"));
        this.store = store;
        this.runner = runners.create(this::deadLetter);
        restoreRecords();
        int resumed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(pending, p -> !p.getFileName().toString().startsWith("."))) {
            for (Path entry : entries) {
                AsyncInvocation inv = read(entry);
                if (inv != null) {
                    schedule(inv, entry);
                    resumed++;
                }
            }
        }
        if (resumed > 0) {
            LOG.log(System.Logger.Level.INFO, "resuming " + resumed + " async invocations accepted before the last stop");
        }
    }

    /** Builds the runner once the journal's dead letters exist. */
    @FunctionalInterface
    interface AsyncRunnerFactory {
        AsyncRunner create(AsyncRunner.DeadLetters deadLetters);
    }

    @Override
    public void accept(AsyncInvocation inv) {
        if (closed) {
            throw new UnavailableException("the platform is stopping", null);
        }
        Path entry = pending.resolve(inv.id());
        try {
            writeDurably(entry, encode(inv));
        } catch (IOException e) {
            throw new UnavailableException("cannot write the async journal: " + e.getMessage(), e);
        }
        schedule(inv, entry);
    }

    private void schedule(AsyncInvocation inv, Path entry) {
        workers.execute(() -> {
            try {
                running.acquire();
            } catch (InterruptedException e) {
                return;
            }
            try {
                runToTheEnd(inv, entry);
            } finally {
                running.release();
            }
        });
    }

    private void runToTheEnd(AsyncInvocation inv, Path entry) {
        while (!closed) {
            try {
                runner.run(inv);
                Optional<InvocationRecord> record = store.get(inv.id());
                if (record.isPresent() && record.get().state() == InvocationRecord.State.DONE) {
                    writeDurably(done.resolve(inv.id() + ".json"), RecordJson.encode(record.get()));
                }
                Files.deleteIfExists(entry);
                return;
            } catch (InterruptedException e) {
                return; // stopping: the entry stays, and runs at the next start
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "async invocation " + inv.id() + " not finished (" + e.getMessage()
                        + "); trying again");
                try {
                    Thread.sleep(RETRY);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private void deadLetter(AsyncInvocation inv, String outcome, String error) {
        ObjectNode letter = JSON.createObjectNode().put("invocation", inv.id()).put("function", inv.function())
                .put("version", inv.version()).put("tries", inv.attempt() + 1).put("outcome", outcome)
                .put("error", error).put("at", Instant.now().toString());
        try {
            writeDurably(deadLetters.resolve(inv.id() + ".json"), JSON.writeValueAsBytes(letter));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the dead letter of " + inv.id(), e);
        }
    }

    /** Puts the records kept on disk back into the store; drops those past the retention. */
    private void restoreRecords() throws IOException {
        Instant oldest = Instant.now().minus(store.retention());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(done, "*.json")) {
            for (Path file : files) {
                try {
                    InvocationRecord r = RecordJson.decode(Files.readAllBytes(file), InvocationRecord.class);
                    if (r.finishedAt() == null || r.finishedAt().isBefore(oldest)) {
                        Files.deleteIfExists(file);
                    } else {
                        store.put(r);
                    }
                } catch (IllegalArgumentException e) {
                    LOG.log(System.Logger.Level.WARNING, "skipping an unreadable record " + file + ": " + e.getMessage());
                }
            }
        }
    }

    private static byte[] encode(AsyncInvocation inv) throws IOException {
        ObjectNode json = JSON.createObjectNode();
        ObjectNode headers = json.putObject("headers");
        for (Map.Entry<String, byte[]> h : inv.headers().entrySet()) {
            headers.put(h.getKey(), new String(h.getValue(), StandardCharsets.UTF_8));
        }
        json.put("input_base64", Base64.getEncoder().encodeToString(inv.input()));
        return JSON.writeValueAsBytes(json);
    }

    private static AsyncInvocation read(Path entry) {
        try {
            JsonNode json = JSON.readTree(Files.readAllBytes(entry));
            Map<String, byte[]> headers = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = json.path("headers").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> h = it.next();
                headers.put(h.getKey(), h.getValue().asText().getBytes(StandardCharsets.UTF_8));
            }
            return AsyncInvocation.of(headers, Base64.getDecoder().decode(json.path("input_base64").asText()));
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "skipping an unreadable journal entry " + entry + ": " + e.getMessage());
            return null;
        }
    }

    /** Writes {@code file} so that it exists complete or not at all, even after a power loss. */
    private static void writeDurably(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // the rename itself
        }
    }

    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
    }
}
