package dev.thaw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.thaw.protocol.Bundle;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code fn deploy [DIR]}: packs a function folder and uploads it as the function's next
 * version; the gateway answers once the version's snapshot is built, with the time each
 * step took.
 */
@Command(name = "deploy", description = "Deploy a function folder as a new version of the function.")
final class DeployCommand extends Subcommand {
    @Parameters(paramLabel = "DIR", arity = "0..1", defaultValue = ".",
            description = "The function folder, holding function.json (default: the current directory).")
    Path dir;

    /** The first python or lua deploy on a host builds the runtime: say so to whoever waits. */
    private static String runtimeNote(Path dir) {
        try {
            String runtime = new ObjectMapper()
                    .readTree(dir.resolve(FunctionName.MANIFEST).toFile()).path("runtime").asText("c");
            return switch (runtime) {
                case "python" -> " (the first Python function on a host builds the runtime: ~5 min)";
                case "lua" -> " (the first Lua function on a host builds the runtime: ~1 min)";
                default -> "";
            };
        } catch (IOException e) {
            return ""; // the gateway will say what is wrong with the manifest
        }
    }

    @Override
    int run() {
        if (!Files.isDirectory(dir)) {
            throw new Failure(dir + " is not a directory");
        }
        FunctionName name = FunctionName.ofManifest(dir);
        Bundle.Packed bundle;
        try {
            bundle = Bundle.pack(dir);
        } catch (Bundle.TooLargeException e) {
            throw new Failure(e.getMessage());
        } catch (FileSystemException e) {
            throw Failure.io("cannot pack " + e.getFile(), e);
        } catch (IOException e) {
            throw Failure.io("cannot pack " + dir, e);
        }
        Gateway.Response response;
        try (Gateway gateway = fn.gateway();
             Spinner _ = Spinner.start(fn.environment().interactive() && !fn.json(), out(), "deploying " + name
                     + runtimeNote(dir))) {
            response = gateway.send("PUT", "/v1/functions/" + name, bundle.bytes(), "Content-Type", "application/gzip");
        }
        if (fn.json()) {
            printJson(response);
            return 0;
        }
        JsonNode deployed = response.json();
        JsonNode build = deployed.path("build");
        int files = bundle.files().size();
        step("upload", files + (files == 1 ? " file, " : " files, ") + size(bundle.bytes().length), build.path("upload_ms"));
        step("compile", "", build.path("compile_ms"));
        if (build.path("cached").asBoolean()) {
            out().println("snapshot unchanged: reused");
        } else {
            step("boot", "", build.path("boot_ms"));
            step("snapshot", "", build.path("snapshot_ms"));
        }
        String snapshot = deployed.path("snapshot").asText();
        out().printf(Locale.ROOT, "deployed %s version %d (snapshot %s, %.1f ms)%n", name, deployed.path("version").asInt(),
                snapshot.substring(0, Math.min(8, snapshot.length())), build.path("total_ms").asDouble());
        return 0;
    }

    /** One line for a build step the gateway timed; none for a step it did not report. */
    private void step(String step, String detail, JsonNode millis) {
        if (millis.isNumber()) {
            out().printf(Locale.ROOT, "%-9s %-18s %7.1f ms%n", step, detail, millis.asDouble());
        }
    }

    private static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        return bytes < 1024 * 1024 ? String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0)
                : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
