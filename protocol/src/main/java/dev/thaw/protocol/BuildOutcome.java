package dev.thaw.protocol;

/**
 * A built function as the deploy answer shows it.
 *
 * @param manifestJson the manifest as deployed, which the registry keeps with the version
 * @param snapshot     the snapshot's address (hash of its inputs)
 * @param cached       an identical snapshot existed: nothing was booted anew
 */
public record BuildOutcome(String manifestJson, String snapshot, boolean cached, double compileMs, double bootMs,
                           double snapshotMs, double totalMs) {}
