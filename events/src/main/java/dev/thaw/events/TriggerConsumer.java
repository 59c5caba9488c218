package dev.thaw.events;

import dev.thaw.protocol.TriggerSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One trigger's consumer on this host, in the trigger's consumer group: Kafka spreads the
 * topic's partitions over the group's members (one per invoker), with the cooperative
 * protocol, so a rebalance moves only the partitions that change hands.
 *
 * <ul>
 * <li><b>Order.</b> Each partition this consumer holds has a lane, a virtual thread that hands
 *     its events to the {@link BatchHandler} in offset order, one batch at a time: the next batch
 *     starts after the previous one was handled. Partitions run in parallel.</li>
 * <li><b>Batches.</b> Up to {@code batchSize} events; a lane with fewer waits up to
 *     {@code batchWindowMs} from the arrival of its oldest event for more.</li>
 * <li><b>Commits.</b> Offsets are committed (asynchronously, for every lane at once) after the
 *     handler reports events handled, never before. A lane starts a batch only while fewer
 *     than {@link #uncommittedBatches} of its batches (two, or as many as hold 100 events) are
 *     finished but not acknowledged committed: that bounds what a crash makes run twice.</li>
 * <li><b>Flow.</b> The consumer keeps polling (and so stays in the group) while batches run; a
 *     partition whose lane holds enough events is paused, and resumed when the lane has room.</li>
 * <li><b>Hand-over.</b> A partition that leaves this consumer in a rebalance is released only
 *     after its lane stopped and what it handled was committed, so two invokers never run one
 *     partition at once. Stopping abandons an invocation in flight (a function has no effect
 *     outside its VM) but waits for a record being produced.</li>
 * <li><b>Failures.</b> A topic that does not exist or a broker that does not answer is
 *     reported in {@link #status()} and retried with backoff (1 s doubling to 30 s), logged once
 *     per new error; nothing is subscribed before the topic exists (and topics are never
 *     created by it).</li>
 * </ul>
 */
public final class TriggerConsumer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TriggerConsumer.class.getName());
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
    /** How often a subscribed consumer checks that its topic still exists. */
    private static final long TOPIC_CHECK_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long FIRST_BACKOFF_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 30_000;
    /** Longest wait for a lane to stop: a record being produced is waited for (see {@link EventProducer}). */
    private static final Duration LANE_STOP = Duration.ofSeconds(60);
    /** A lane's buffer: its partition is paused beyond this many bytes, or twice the batch size (at least 1,000 events). */
    private static final long PAUSE_AT_BYTES = 8L << 20;
    private static final int PAUSE_AT_EVENTS = 1_000;
    /**
     * Batches of a partition that may be uncommitted at once (finished, or running), at least:
     * two, so that a batch runs while the previous one's commit is on its way.
     */
    static final int MIN_UNCOMMITTED_BATCHES = 2;
    /**
     * Events of a partition that may be uncommitted at once, when batches are small: with
     * batches of one event, a commit round trip per two events kept a partition to a few
     * hundred events a second.
     */
    static final int UNCOMMITTED_EVENTS = 100;

    public static final String STARTING = "starting";
    public static final String RUNNING = "running";
    public static final String ERROR = "error";

    /**
     * Batches of a partition that may be uncommitted at once with batches of {@code batchSize}:
     * what a crash can make run again is at most this many batches per partition.
     */
    public static int uncommittedBatches(int batchSize) {
        return Math.max(MIN_UNCOMMITTED_BATCHES, (UNCOMMITTED_EVENTS + batchSize - 1) / batchSize);
    }

    /** What this consumer reads and how. */
    public record Settings(String bootstrap, String topic, String group, String clientId, TriggerSpec.Start start,
                           int batchSize, int batchWindowMs) {
        public static Settings of(TriggerSpec spec, String bootstrap, String clientId) {
            return new Settings(bootstrap, spec.topic(), spec.group(), clientId, spec.start(), spec.batchSize(),
                    spec.batchWindowMs());
        }
    }

    /** Runs batches; called on each partition's lane thread, one batch of a partition at a time. */
    @FunctionalInterface
    public interface BatchHandler {
        /**
         * Handles {@code batch} (one partition's events, in offset order) completely, reporting
         * each handled prefix through {@code progress}. Returning means every event is handled.
         * InterruptedException: the consumer is giving the partition up; what was not reported
         * handled runs again, here or on another invoker.
         */
        void handle(List<TriggerEvent> batch, Progress progress) throws InterruptedException;
    }

    /** What a handler tells its lane. */
    public interface Progress {
        /**
         * Every event of the partition before {@code nextOffset} is handled: it may be committed.
         * {@code events} of them were handled since the last report, {@code deadLettered} of
         * which went to the dead-letter topic. Clears {@link #failing}.
         */
        void handled(long nextOffset, long events, long deadLettered);

        /** The partition is stuck on a failure for now (a retry, a host problem); shown in the status until handled. */
        void failing(String error);
    }

    /**
     * What this consumer is doing.
     *
     * @param state       {@link #STARTING}, {@link #RUNNING} or {@link #ERROR} (failing now: {@code error})
     * @param partitions  the partitions it holds
     * @param error       the current error, or null
     * @param lastError   the latest error, current or past, or null
     * @param lastErrorAt when that was, or null
     */
    public record Status(String state, List<Integer> partitions, String error, String lastError, Instant lastErrorAt,
                         long events, long deadLettered) {}

    private final Settings settings;
    private final int uncommittedBatches;
    private final BatchHandler handler;
    private final String name;
    private final Map<TopicPartition, Lane> lanes = new ConcurrentHashMap<>();
    private final AtomicBoolean nudged = new AtomicBoolean();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Thread thread;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean subscribed;
    private volatile String consumerError;
    private boolean commitFailing; // poll thread only
    private volatile boolean commitInFlight;
    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private String lastLogged; // the poll thread's and the lanes' last logged error, to log each once

    /** Starts consuming at once, on a thread of its own; {@code name} names it in logs and errors. */
    public TriggerConsumer(String name, Settings settings, BatchHandler handler) {
        this.name = name;
        this.settings = settings;
        this.uncommittedBatches = uncommittedBatches(settings.batchSize());
        this.handler = handler;
        this.thread = Thread.ofPlatform().name("thaw-trigger-" + name).daemon().start(this::run);
    }

    public Settings settings() {
        return settings;
    }

    public Status status() {
        List<Integer> partitions = lanes.keySet().stream().map(TopicPartition::partition).sorted().toList();
        String error = consumerError;
        if (error == null) {
            error = lanes.values().stream().map(l -> l.failing).filter(e -> e != null).findFirst().orElse(null);
        }
        String state = error != null ? ERROR : subscribed ? RUNNING : STARTING;
        return new Status(state, partitions, error, lastError, lastErrorAt, events.get(), deadLettered.get());
    }

    /** Stops: every lane stops, what was handled is committed, and the consumer leaves the group. */
    @Override
    public void close() {
        closing.countDown();
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(LANE_STOP.toMillis() + 30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean closed() {
        return closing.getCount() == 0;
    }

    private void run() {
        long backoffMs = FIRST_BACKOFF_MS;
        try {
            while (!closed()) {
                KafkaConsumer<byte[], byte[]> c;
                try {
                    c = new KafkaConsumer<>(properties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
                } catch (KafkaException e) { // e.g. a bootstrap host name that does not resolve
                    error("cannot use Kafka at " + settings.bootstrap() + ": " + e.getMessage());
                    closing.await(backoffMs, TimeUnit.MILLISECONDS);
                    backoffMs = Math.min(2 * backoffMs, MAX_BACKOFF_MS);
                    continue;
                }
                consumer = c;
                try {
                    consumeWhileTheTopicExists(c);
                } finally {
                    consumer = null;
                    subscribed = false;
                    try {
                        c.close(Duration.ofSeconds(10));
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "closing the consumer of trigger " + name + ": " + e.getMessage());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Checks for the topic (with backoff while it is missing or Kafka does not answer), then consumes it, until closed. */
    private void consumeWhileTheTopicExists(KafkaConsumer<byte[], byte[]> c) throws InterruptedException {
        long backoffMs = FIRST_BACKOFF_MS;
        while (!closed()) {
            String problem = topicProblem(c);
            if (closed()) {
                return;
            }
            if (problem != null) {
                error(problem);
                closing.await(backoffMs, TimeUnit.MILLISECONDS);
                backoffMs = Math.min(2 * backoffMs, MAX_BACKOFF_MS);
                continue;
            }
            backoffMs = FIRST_BACKOFF_MS;
            consumerError = null;
            try {
                consume(c);
            } catch (KafkaException | IllegalStateException e) {
                error("consuming " + settings.topic() + " failed: " + e.getMessage());
                closing.await(backoffMs, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Null when the topic exists, else why it cannot be consumed. */
    private String topicProblem(KafkaConsumer<byte[], byte[]> c) {
        while (true) {
            try {
                List<PartitionInfo> partitions = c.partitionsFor(settings.topic(), METADATA_TIMEOUT);
                return partitions == null || partitions.isEmpty() ? missing() : null;
            } catch (WakeupException e) {
                if (closed()) {
                    return null;
                }
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                return "cannot reach Kafka at " + settings.bootstrap() + " (no answer within "
                        + METADATA_TIMEOUT.toSeconds() + " s)";
            } catch (KafkaException e) {
                return "Kafka at " + settings.bootstrap() + " cannot describe topic '" + settings.topic() + "': "
                        + e.getMessage();
            }
        }
    }

    private String missing() {
        return "topic '" + settings.topic() + "' does not exist on " + settings.bootstrap();
    }

    /** Polls until closed or until the topic disappears; every lane is stopped and committed on the way out. */
    private void consume(KafkaConsumer<byte[], byte[]> c) {
        c.subscribe(List.of(settings.topic()), new Rebalance(c));
        subscribed = true;
        long nextCheck = System.nanoTime() + TOPIC_CHECK_NANOS;
        try {
            while (!closed()) {
                nudged.set(false);
                ConsumerRecords<byte[], byte[]> records = ConsumerRecords.empty();
                try {
                    records = c.poll(POLL);
                } catch (WakeupException e) {
                    // a lane handled a batch (commit it now), or closing
                }
                for (TopicPartition tp : records.partitions()) {
                    Lane lane = lanes.get(tp);
                    if (lane != null) {
                        lane.add(records.records(tp));
                    }
                }
                flowControl(c);
                commit(c);
                if (System.nanoTime() - nextCheck > 0) {
                    nextCheck = System.nanoTime() + TOPIC_CHECK_NANOS;
                    String problem = topicProblem(c);
                    if (problem != null) {
                        error(problem);
                        if (problem.equals(missing())) {
                            return; // deleted: wait for it as at the start
                        }
                    } else if (!commitFailing) {
                        consumerError = null;
                    }
                }
            }
        } finally {
            handOver(new ArrayList<>(lanes.keySet()), true, c);
            subscribed = false;
            try {
                c.unsubscribe();
            } catch (KafkaException e) {
                LOG.log(System.Logger.Level.WARNING, "trigger " + name + ": leaving the group failed: " + e.getMessage());
            }
        }
    }

    /** Pauses the partitions whose lanes hold enough, resumes those with room again. */
    private void flowControl(KafkaConsumer<byte[], byte[]> c) {
        int pauseAtEvents = Math.max(PAUSE_AT_EVENTS, 2 * settings.batchSize());
        for (Lane lane : lanes.values()) {
            long[] held = lane.held();
            if (!lane.paused && (held[0] >= pauseAtEvents || held[1] >= PAUSE_AT_BYTES)) {
                c.pause(List.of(lane.tp));
                lane.paused = true;
            } else if (lane.paused && held[0] < pauseAtEvents / 2 && held[1] < PAUSE_AT_BYTES / 2) {
                c.resume(List.of(lane.tp));
                lane.paused = false;
            }
        }
    }

    /** Commits, in one asynchronous request, what every lane handled since its last commit. */
    private void commit(KafkaConsumer<byte[], byte[]> c) {
        if (commitInFlight) {
            return; // one at a time: what finishes meanwhile goes with the next
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (Lane lane : lanes.values()) {
            long handled = lane.handledOffset();
            if (handled > lane.requested) {
                offsets.put(lane.tp, new OffsetAndMetadata(handled));
                lane.requested = handled;
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        commitInFlight = true;
        c.commitAsync(offsets, (committed, e) -> {
            // on this thread, inside a later poll
            commitInFlight = false;
            if (lanes.values().stream().anyMatch(l -> l.handledOffset() > l.requested)) {
                c.wakeup(); // more to commit: leave the poll for it now
            }
            for (Map.Entry<TopicPartition, OffsetAndMetadata> o : offsets.entrySet()) {
                Lane lane = lanes.get(o.getKey());
                if (lane == null) {
                    continue;
                }
                if (e == null) {
                    lane.acknowledged(o.getValue().offset());
                } else {
                    lane.requested = Math.min(lane.requested, lane.ackedOffset()); // sent again by the next loop
                }
            }
            if (e instanceof RebalanceInProgressException) {
                return; // sent again after the rebalance, or committed at the hand-over
            }
            if (e != null) {
                commitFailing = true;
                error("committing offsets to Kafka at " + settings.bootstrap() + " failed: " + e.getMessage());
            } else if (commitFailing) {
                commitFailing = false;
                consumerError = null;
            }
        });
    }

    /** Stops the lanes of {@code partitions} and, if {@code commit}, commits what they handled. */
    private void handOver(Collection<TopicPartition> partitions, boolean commit, KafkaConsumer<byte[], byte[]> c) {
        List<Lane> leaving = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            Lane lane = lanes.remove(tp);
            if (lane != null) {
                leaving.add(lane);
                lane.stop();
            }
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (Lane lane : leaving) {
            lane.join();
            long handled = lane.handledOffset();
            if (handled > lane.ackedOffset()) {
                offsets.put(lane.tp, new OffsetAndMetadata(handled));
            }
        }
        if (!commit || offsets.isEmpty()) {
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                c.commitSync(offsets, Duration.ofSeconds(10));
                return;
            } catch (WakeupException e) {
                if (attempt == 3) {
                    return;
                }
            } catch (KafkaException e) {
                // what it handled runs again on the partition's next owner
                error("committing offsets of " + offsets.keySet() + " at hand-over failed: " + e.getMessage());
                return;
            }
        }
    }

    /** Records a consumer-level error: shown in the status, logged once. */
    private void error(String message) {
        consumerError = message;
        noteError(message);
    }

    private synchronized void noteError(String message) {
        lastError = message;
        lastErrorAt = Instant.now();
        if (!message.equals(lastLogged)) {
            lastLogged = message;
            LOG.log(System.Logger.Level.WARNING, "trigger " + name + ": " + message);
        }
    }

    /** Asks the poll thread to commit now rather than at its next poll. */
    private void nudge() {
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null && !commitInFlight && nudged.compareAndSet(false, true)) {
            c.wakeup();
        }
    }

    private Properties properties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.clientId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, settings.start().text());
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a trigger consumes a topic, never creates one
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // A killed invoker's partitions move within 10 s (Kafka's default is 45 s).
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        // An unreachable broker: a reconnection attempt (and Kafka's warning about it) at most every 10 s.
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 10_000);
        return p;
    }

    /** Lanes come and go with the partitions Kafka assigns. Called on the poll thread, inside poll. */
    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<byte[], byte[]> c;

        Rebalance(KafkaConsumer<byte[], byte[]> c) {
            this.c = c;
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                Lane lane = new Lane(tp);
                lanes.put(tp, lane);
                lane.start();
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            handOver(partitions, true, c);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            handOver(partitions, false, c); // already someone else's: committing would fail
        }
    }

    /** An event waiting in a lane, with when it arrived (for the batch window). */
    private record Buffered(TriggerEvent event, long arrivedNanos) {}

    /** One partition's events, run in order on a virtual thread of its own. */
    private final class Lane implements Progress {
        final TopicPartition tp;
        private final ArrayDeque<Buffered> buffer = new ArrayDeque<>(); // guarded by this
        private long bufferedBytes; // guarded by this
        private long handled = -1; // guarded by this: the offset after the last handled event
        private long acked = -1; // guarded by this: the offset the broker confirmed committed
        /** Guarded by this: the end offsets of finished batches not acknowledged committed yet, oldest first. */
        private final ArrayDeque<Long> unacknowledged = new ArrayDeque<>();
        private boolean stopping; // guarded by this
        private Thread thread;
        volatile String failing;
        /** Poll thread only: the offset of the last commit sent, and whether the partition is paused. */
        long requested = -1;
        boolean paused;

        Lane(TopicPartition tp) {
            this.tp = tp;
        }

        void start() {
            thread = Thread.ofVirtual().name("thaw-trigger-" + name + "-" + tp.partition()).start(this::run);
        }

        synchronized void add(List<ConsumerRecord<byte[], byte[]>> records) {
            long now = System.nanoTime();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (acked < 0) {
                    acked = r.offset(); // where the group's position began: everything before it is committed
                }
                List<TriggerEvent.Header> headers = new ArrayList<>();
                for (Header h : r.headers()) {
                    headers.add(new TriggerEvent.Header(h.key(), h.value()));
                }
                TriggerEvent e = new TriggerEvent(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value(),
                        headers);
                buffer.add(new Buffered(e, now));
                bufferedBytes += e.bytes();
            }
            notifyAll();
        }

        /** Events and bytes buffered. */
        synchronized long[] held() {
            return new long[] {buffer.size(), bufferedBytes};
        }

        synchronized long handledOffset() {
            return handled;
        }

        synchronized long ackedOffset() {
            return acked;
        }

        synchronized void acknowledged(long offset) {
            if (offset > acked) {
                acked = offset;
                dropAcknowledged();
                notifyAll();
            }
        }

        private void dropAcknowledged() { // with this held
            while (!unacknowledged.isEmpty() && unacknowledged.peekFirst() <= acked) {
                unacknowledged.pollFirst();
            }
        }

        void stop() {
            synchronized (this) {
                stopping = true;
                notifyAll();
            }
            if (thread != null) {
                thread.interrupt();
            }
        }

        void join() {
            try {
                if (thread != null && !thread.join(LANE_STOP)) {
                    LOG.log(System.Logger.Level.WARNING, "trigger " + name + ": partition " + tp.partition()
                            + " did not stop within " + LANE_STOP.toSeconds() + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void handled(long nextOffset, long count, long dead) {
            synchronized (this) {
                if (nextOffset > handled) {
                    handled = nextOffset;
                }
            }
            failing = null;
            events.addAndGet(count);
            deadLettered.addAndGet(dead);
        }

        @Override
        public void failing(String error) {
            failing = error;
            noteError(error);
        }

        private void run() {
            try {
                while (true) {
                    List<TriggerEvent> batch = next();
                    runBatch(batch);
                    synchronized (this) {
                        unacknowledged.addLast(batch.getLast().offset() + 1);
                        dropAcknowledged();
                    }
                }
            } catch (InterruptedException stopping) {
                // the partition is being handed over, or the consumer closes
            }
        }

        /** Waits for the next batch: events buffered, the commit window open, and the batch full or its window over. */
        private synchronized List<TriggerEvent> next() throws InterruptedException {
            long windowNanos = TimeUnit.MILLISECONDS.toNanos(settings.batchWindowMs());
            while (true) {
                if (stopping) {
                    throw new InterruptedException();
                }
                // finished batches may wait for their commit while the next one runs, up to the window
                boolean windowOpen = unacknowledged.size() < uncommittedBatches;
                if (!buffer.isEmpty() && !windowOpen) {
                    nudge(); // waiting on a commit: have it sent now
                }
                if (!buffer.isEmpty() && windowOpen) {
                    long wait = buffer.size() >= settings.batchSize() || windowNanos == 0 ? 0
                            : buffer.peekFirst().arrivedNanos() + windowNanos - System.nanoTime();
                    if (wait <= 0) {
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, wait);
                } else {
                    wait();
                }
            }
            List<TriggerEvent> batch = new ArrayList<>(Math.min(buffer.size(), settings.batchSize()));
            while (!buffer.isEmpty() && batch.size() < settings.batchSize()) {
                TriggerEvent e = buffer.pollFirst().event();
                bufferedBytes -= e.bytes();
                batch.add(e);
            }
            return batch;
        }

        /** Hands the batch to the handler until all of it is handled; a handler's bug is retried with backoff. */
        private void runBatch(List<TriggerEvent> batch) throws InterruptedException {
            long end = batch.getLast().offset() + 1;
            long backoffMs = FIRST_BACKOFF_MS;
            List<TriggerEvent> rest = batch;
            while (true) {
                try {
                    handler.handle(rest, this);
                    handled(end, 0, 0);
                    return;
                } catch (RuntimeException e) {
                    failing("handling " + rest.getFirst().where() + " failed on this host: " + e);
                    LOG.log(System.Logger.Level.ERROR, "trigger " + name + ": the batch handler failed", e);
                    Thread.sleep(backoffMs);
                    backoffMs = Math.min(2 * backoffMs, MAX_BACKOFF_MS);
                    long done = handledOffset();
                    rest = rest.stream().filter(ev -> ev.offset() >= done).toList();
                    if (rest.isEmpty()) {
                        return;
                    }
                }
            }
        }
    }
}
