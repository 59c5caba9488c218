package dev.thaw.protocol;

/** Why a bundle did not become a snapshot, in the terms the HTTP API reports it. */
public final class BuildFailure extends Exception {
    private static final long serialVersionUID = 1L;

    /** What kind of failure, and the HTTP status it maps to. */
    public enum Kind {
        /** The bundle or manifest is malformed (400). */
        INVALID(400),
        /** The function does not compile or never reaches its snapshot point (422). */
        DOES_NOT_BUILD(422),
        /** The host failed: disk, KVM, missing toolchain, no invoker (503). */
        HOST(503);

        public final int status;

        Kind(int status) {
            this.status = status;
        }

        /** The kind an HTTP status stands for; anything unexpected is the host's failure. */
        public static Kind ofStatus(int status) {
            return switch (status) {
                case 400 -> INVALID;
                case 422 -> DOES_NOT_BUILD;
                default -> HOST;
            };
        }
    }

    private final Kind kind;
    private final String field;
    private final String compiler;

    /**
     * @param field    the manifest field at fault, or null
     * @param compiler the compiler's message for a compile error, or null
     */
    public BuildFailure(Kind kind, String message, String field, String compiler) {
        super(message);
        this.kind = kind;
        this.field = field;
        this.compiler = compiler;
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
