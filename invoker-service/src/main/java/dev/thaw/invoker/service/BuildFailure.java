package dev.thaw.invoker.service;

import dev.thaw.snapshotter.BuildException;
import dev.thaw.snapshotter.Manifest;

/** Why a bundle did not become a snapshot, in the terms the HTTP API reports it. */
public final class BuildFailure extends Exception {
    private static final long serialVersionUID = 1L;

    /** What kind of failure, and the HTTP status it maps to. */
    public enum Kind {
        /** The bundle or manifest is malformed (400). */
        INVALID(400),
        /** The function does not compile or never reaches its first read of stdin (422). */
        DOES_NOT_BUILD(422),
        /** The host failed: disk, KVM, missing toolchain (503). */
        HOST(503);

        public final int status;

        Kind(int status) {
            this.status = status;
        }
    }

    private final Kind kind;
    private final String field;
    private final String compiler;

    public BuildFailure(Kind kind, String message, String field, String compiler) {
        super(message);
        this.kind = kind;
        this.field = field;
        this.compiler = compiler;
    }

    public static BuildFailure of(BuildException e) {
        return switch (e.stage()) {
            case MANIFEST -> new BuildFailure(Kind.INVALID, e.getMessage(),
                    e.getCause() instanceof Manifest.InvalidManifestException m ? m.field() : null, null);
            case BINARY -> new BuildFailure(Kind.INVALID, "binary: " + e.getMessage(), "binary", null);
            case COMPILE -> new BuildFailure(Kind.DOES_NOT_BUILD, "the function does not compile", null, e.getMessage());
            case BOOT -> new BuildFailure(Kind.DOES_NOT_BUILD, e.getMessage(), null, null);
            case HOST -> new BuildFailure(Kind.HOST, e.getMessage(), null, null);
        };
    }

    public static BuildFailure of(Manifest.InvalidManifestException e) {
        return new BuildFailure(Kind.INVALID, e.getMessage(), e.field().isEmpty() ? null : e.field(), null);
    }

    public static BuildFailure of(Bundle.InvalidBundleException e) {
        return new BuildFailure(Kind.INVALID, e.getMessage(), null, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The manifest field at fault, or null. */
    public String field() {
        return field;
    }

    /** The compiler's message for a compile error, or null. */
    public String compiler() {
        return compiler;
    }
}
