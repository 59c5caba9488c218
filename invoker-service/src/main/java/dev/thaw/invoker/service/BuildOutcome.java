package dev.thaw.invoker.service;

import dev.thaw.snapshotter.SnapshotBuilder;

/**
 * A built function as the deploy answer shows it.
 *
 * @param snapshot the snapshot's address (hash of its inputs)
 * @param cached   an identical snapshot existed: nothing was compiled or booted anew
 */
public record BuildOutcome(String snapshot, boolean cached, double compileMs, double bootMs, double snapshotMs,
                           double totalMs) {

    static BuildOutcome of(SnapshotBuilder.Built b) {
        return new BuildOutcome(b.key(), b.cached(), b.compileNanos() / 1e6,
                b.boot() == null ? 0 : (b.boot().setupNanos() + b.boot().bootNanos()) / 1e6,
                b.boot() == null ? 0 : b.boot().writeNanos() / 1e6, b.totalNanos() / 1e6);
    }
}
