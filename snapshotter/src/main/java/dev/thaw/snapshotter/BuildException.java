package dev.thaw.snapshotter;

/** A function could not be built into a snapshot; {@link #stage()} says which step failed. */
public final class BuildException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The build step that failed. */
    public enum Stage {
        /** The manifest is missing or invalid. */
        MANIFEST,
        /** The C sources did not compile; the message is the compiler's. */
        COMPILE,
        /** The language runtime (Python, Lua) could not be built on this host. */
        RUNTIME,
        /** The function's files cannot go into its file image. */
        FILES,
        /** The binary is not a Thaw executable. */
        BINARY,
        /** The function did not reach its snapshot point (for a runtime: the handler failed to load). */
        BOOT,
        /** The host failed (disk, KVM). */
        HOST
    }

    private final Stage stage;

    public BuildException(Stage stage, String message, Throwable cause) {
        super(message, cause);
        this.stage = stage;
    }

    public Stage stage() {
        return stage;
    }
}
