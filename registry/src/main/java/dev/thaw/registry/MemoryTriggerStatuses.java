package dev.thaw.registry;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** {@link TriggerStatuses} in this process's memory: the embedded platform, where one JVM reports and reads. */
public final class MemoryTriggerStatuses implements TriggerStatuses {
    private record Entry(TriggerReport report, long expiresNanos) {}

    private final Map<String, Map<String, Entry>> byTrigger = new ConcurrentHashMap<>();

    @Override
    public void report(String trigger, TriggerReport report, Duration ttl) {
        byTrigger.computeIfAbsent(trigger, t -> new ConcurrentHashMap<>())
                .put(report.invoker(), new Entry(report, System.nanoTime() + ttl.toNanos()));
    }

    @Override
    public void withdraw(String trigger, String invoker) {
        byTrigger.computeIfPresent(trigger, (t, reports) -> {
            reports.remove(invoker);
            return reports.isEmpty() ? null : reports;
        });
    }

    @Override
    public List<TriggerReport> reports(String trigger) {
        Map<String, Entry> reports = byTrigger.get(trigger);
        if (reports == null) {
            return List.of();
        }
        long now = System.nanoTime();
        reports.values().removeIf(e -> e.expiresNanos - now < 0);
        return reports.values().stream().map(Entry::report).sorted(Comparator.comparing(TriggerReport::invoker)).toList();
    }

    @Override
    public void close() {}
}
