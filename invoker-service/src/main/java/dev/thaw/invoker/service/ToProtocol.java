package dev.thaw.invoker.service;

import dev.thaw.invoker.Result;
import dev.thaw.invoker.Timings;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.protocol.BuildOutcome;
import dev.thaw.protocol.Bundle;
import dev.thaw.protocol.InvocationResult;
import dev.thaw.snapshotter.BuildException;
import dev.thaw.snapshotter.Manifest;
import dev.thaw.snapshotter.SnapshotBuilder;

/**
 * The engine's and the snapshotter's outcomes in the terms of the protocol gateways speak:
 * the one place where a VMM type becomes a wire type.
 */
final class ToProtocol {
    private ToProtocol() {}

    static InvocationResult result(Result r) {
        Timings t = r.timings();
        return new InvocationResult(InvocationResult.Status.valueOf(r.status().name()), r.exitCode(), r.signal(),
                r.stdout(), r.stderr(), r.logs(), r.error(), new InvocationResult.Timings(t.queueNanos(), t.runNanos(),
                t.totalNanos(), t.exits(), t.dirtyPages(), t.warm()));
    }

    static BuildOutcome outcome(SnapshotBuilder.Built b, String manifestJson) {
        return new BuildOutcome(manifestJson, b.key(), b.cached(), b.compileNanos() / 1e6,
                b.boot() == null ? 0 : (b.boot().setupNanos() + b.boot().bootNanos()) / 1e6,
                b.boot() == null ? 0 : b.boot().writeNanos() / 1e6, b.totalNanos() / 1e6);
    }

    static BuildFailure failure(BuildException e) {
        return switch (e.stage()) {
            case MANIFEST -> new BuildFailure(BuildFailure.Kind.INVALID, e.getMessage(),
                    e.getCause() instanceof Manifest.InvalidManifestException m ? m.field() : null, null);
            case BINARY -> new BuildFailure(BuildFailure.Kind.INVALID, "binary: " + e.getMessage(), "binary", null);
            case COMPILE -> new BuildFailure(BuildFailure.Kind.DOES_NOT_BUILD, "the function does not compile", null,
                    e.getMessage());
            case BOOT -> new BuildFailure(BuildFailure.Kind.DOES_NOT_BUILD, e.getMessage(), null, null);
            case FILES -> new BuildFailure(BuildFailure.Kind.INVALID, e.getMessage(), null, null);
            case RUNTIME, HOST -> new BuildFailure(BuildFailure.Kind.HOST, e.getMessage(), null, null);
        };
    }

    static BuildFailure failure(Manifest.InvalidManifestException e) {
        return new BuildFailure(BuildFailure.Kind.INVALID, e.getMessage(), e.field().isEmpty() ? null : e.field(), null);
    }

    static BuildFailure failure(Bundle.InvalidBundleException e) {
        return new BuildFailure(BuildFailure.Kind.INVALID, e.getMessage(), null, null);
    }
}
