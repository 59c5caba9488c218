package dev.thaw.e2e.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A command-line tool the validation runs (kubectl, systemd-analyze), with its output. */
final class Command {
    private static final long TIMEOUT_SECONDS = 60;

    record Result(int exitCode, String out, String err) {}

    private Command() {}

    /** Runs the command to completion; fails, naming {@code what} and the missing tool, if it cannot start. */
    static Result run(List<String> command, String what) throws IOException, InterruptedException {
        Path out = Files.createTempFile("thaw-deploy-out", ".txt");
        Path err = Files.createTempFile("thaw-deploy-err", ".txt");
        try {
            Process p;
            try {
                p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            } catch (IOException e) {
                throw new AssertionError(what + ": cannot run " + command.getFirst() + " (" + e.getMessage()
                        + "); ./test installs it (Debian packages: kubernetes-client for kubectl, systemd for systemd-analyze)", e);
            }
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(what + ": " + String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
