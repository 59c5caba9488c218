package dev.thaw.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fn init NAME}: a new function folder with a working main.c and its manifest. */
@Command(name = "init", description = "Create a function folder: main.c and function.json.")
final class InitCommand extends Subcommand {
    private static final String MAIN_C = """
            /*
             * {name}: a Thaw function.
             *
             * The request arrives on stdin and the response leaves on stdout. Lines written to
             * stderr show in `fn logs`; a non-zero exit status makes the invocation fail.
             *
             * Everything before the first read of stdin runs once, at deploy, and is kept in the
             * snapshot that every invocation resumes from: do expensive setup there, but do not
             * read the clock or random bytes there if each request needs its own.
             */
            #include <stdio.h>
            #include <stdlib.h>

            int main(void)
            {
                size_t cap = 4096, len = 0, n;
                char *request = malloc(cap);

                if (request == NULL)
                    return 1;
                /* Read the whole request; it ends like a file, with end of file. */
                while ((n = fread(request + len, 1, cap - len, stdin)) > 0) {
                    len += n;
                    if (len == cap) {
                        cap *= 2;
                        char *bigger = realloc(request, cap);
                        if (bigger == NULL)
                            return 1;
                        request = bigger;
                    }
                }
                /* `echo` ends its output with a newline: leave it out of the greeting. */
                while (len > 0 && (request[len - 1] == '\\n' || request[len - 1] == '\\r'))
                    len--;

                if (len == 0)
                    printf("Hello, world!\\n");
                else
                    printf("Hello, %.*s!\\n", (int)len, request);
                fprintf(stderr, "greeted %zu bytes\\n", len);
                free(request);
                return 0;
            }
            """;

    // Written out rather than serialised, to keep the order and look of a hand-written manifest;
    // the name is validated, so it needs no escaping.
    private static final String FUNCTION_JSON = """
            {
              "name": "{name}",
              "runtime": "c",
              "memory_mb": 16,
              "timeout_ms": 1000
            }
            """;

    @Parameters(paramLabel = "NAME", description = "The function's name: [a-z][a-z0-9-]{0,62}.")
    String name;

    @Option(names = "--dir", paramLabel = "PARENT", defaultValue = ".",
            description = "Where to create the folder NAME (default: the current directory).")
    Path parent;

    @Override
    int run() {
        FunctionName function = new FunctionName(name);
        Path dir = parent.resolve(name).normalize();
        try {
            Files.createDirectories(parent);
            Files.createDirectory(dir);
            write(dir.resolve("main.c"), MAIN_C.replace("{name}", name));
            write(dir.resolve(FunctionName.MANIFEST), FUNCTION_JSON.replace("{name}", name));
        } catch (FileAlreadyExistsException e) {
            throw new Failure(e.getFile() + " already exists");
        } catch (IOException e) {
            throw Failure.io("cannot create " + dir, e);
        }
        out().println("created " + dir + "/main.c and " + dir + "/" + FunctionName.MANIFEST);
        out().println("next:");
        out().println("  fn deploy " + dir);
        out().println("  fn invoke " + function + " -d 'Thaw'");
        return 0;
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    }
}
