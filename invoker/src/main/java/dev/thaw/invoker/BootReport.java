package dev.thaw.invoker;

/**
 * What booting a guest to its snapshot point cost.
 *
 * @param bootNanos    from the first instruction to the snapshot point (library and function init)
 * @param writeNanos   writing the snapshot files
 * @param exits        VM exits during boot
 * @param memoryBytes  bytes of non-zero guest memory written to the snapshot
 */
public record BootReport(long setupNanos, long bootNanos, long writeNanos, int exits, long memoryBytes) {}
