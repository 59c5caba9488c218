package dev.thaw.registry;

import java.util.List;
import java.util.Optional;

/**
 * Where deployed functions live: their versions, manifests and bundles (the tar.gz a user
 * deployed). Bundles are what travels between hosts; snapshots are built per host from them.
 * Implementations survive a restart and are safe for concurrent use, including from several
 * processes sharing the same store.
 */
public interface FunctionRegistry extends AutoCloseable {
    /**
     * Stores a new version of {@code name}, numbered one above every version the name ever had
     * (1 for a new name), deleted ones included. Concurrent deploys of one name get distinct versions.
     */
    FunctionVersion deploy(String name, String manifestJson, byte[] bundle);

    /** The newest version, if the function exists. */
    Optional<FunctionVersion> latest(String name);

    Optional<FunctionVersion> version(String name, int version);

    /** Every version of the function, oldest first; empty if it does not exist. */
    List<FunctionVersion> versions(String name);

    /** Names of all functions, sorted. */
    List<String> names();

    /** The bundle of one version. */
    Optional<byte[]> bundle(String name, int version);

    /**
     * Removes the function and all its versions; false if it did not exist. Version numbers
     * are never reused: a later deploy continues after the highest number ever given, because
     * gateways and invokers cache {@code name@n} as immutable.
     */
    boolean delete(String name);

    @Override
    void close();
}
