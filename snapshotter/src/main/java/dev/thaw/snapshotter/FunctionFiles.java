package dev.thaw.snapshotter;

import dev.thaw.snapshotter.BuildException.Stage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What a function's file image holds, the file system its guest sees:
 * <pre>
 *   /function   the bundle's files (not function.json: limits must not shape the snapshot);
 *               the working directory, and where a runtime finds the handler
 *   /tmp        writable, in guest memory (the library OS provides it)
 *   /usr/...    the runtime's library, for python and lua
 * </pre>
 */
final class FunctionFiles {
    /** Where the bundle appears in the guest. */
    static final String FUNCTION_DIR = "/function";
    /** Every file's modification time: fixed, so the same files give the same snapshot. 1980-01-01, which zip accepts. */
    static final long MTIME_NANOS = 315_532_800L * 1_000_000_000L;

    private FunctionFiles() {}

    /** The handler file a runtime loads from the bundle. */
    static String handler(Manifest.Runtime runtime) {
        return switch (runtime) {
            case PYTHON -> "handler.py";
            case LUA -> "handler.lua";
            case C, ELF -> throw new IllegalArgumentException(runtime.id() + " has no handler file");
        };
    }

    /** The image for the function in {@code functionDir}, with the runtime's tree if not null. */
    static byte[] image(Path functionDir, Path runtimeRoot) throws BuildException {
        FileImage.Builder b = new FileImage.Builder().directory("/tmp").directory(FUNCTION_DIR);
        try {
            if (runtimeRoot != null) {
                b.tree("/", runtimeRoot);
            }
            b.tree(FUNCTION_DIR, functionDir, rel -> !rel.toString().equals(Manifest.FILE));
            return b.build(MTIME_NANOS);
        } catch (IOException | IllegalArgumentException e) {
            throw new BuildException(Stage.FILES, "cannot pack the function's files: " + e.getMessage(), e);
        }
    }
}
