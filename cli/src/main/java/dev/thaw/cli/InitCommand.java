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

/**
 * {@code fn init [--runtime c|python|lua] NAME}: a new function folder with a working
 * starter (main.c, handler.py or handler.lua) and its manifest.
 */
@Command(name = "init", description = "Create a function folder: a starter (main.c, handler.py or handler.lua) and function.json.")
final class InitCommand extends Subcommand {
    private static final String HANDLER_PY = """
            \"""{name}: a Thaw function in Python.

            handle() runs for every request: it gets the request body as bytes and returns the
            response (str or bytes). Lines printed to stderr show in `fn logs`; an exception makes
            the invocation fail with its traceback.

            This module is imported once, at deploy, and the interpreter with everything it loaded
            is kept in the snapshot that every invocation resumes from: import modules, load data
            and compile regular expressions up here. But a value made up here from the clock or
            random bytes (a token, a secret) is the same in every invocation. The random module is
            reseeded for each one; random.Random instances made here are not.
            \"""
            import sys


            def handle(request: bytes) -> str:
                who = request.decode("utf-8", "replace").strip() or "world"
                print(f"greeted {len(who)} characters", file=sys.stderr)
                return f"Hello, {who}!\\n"
            """;

    private static final String HANDLER_LUA = """
            -- {name}: a Thaw function in Lua.
            --
            -- This file runs once, at deploy, and returns the function that runs for every
            -- request: it gets the request body as a string and returns the response. Lines
            -- written to io.stderr show in `fn logs`; an error makes the invocation fail with
            -- its traceback.
            --
            -- Everything this file loads is kept in the snapshot that every invocation resumes
            -- from: require modules and build tables up here. math.random is reseeded for each
            -- invocation, but a value made up here from os.time() or math.random() is shared by all.

            return function(request)
              local name = request:match("^%s*(.-)%s*$")
              if name == "" then name = "world" end
              io.stderr:write(("greeted %d bytes\\n"):format(#name))
              return ("Hello, %s!\\n"):format(name)
            end
            """;

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
              "runtime": "{runtime}",
              "memory_mb": {memory},
              "timeout_ms": 1000
            }
            """;

    /** The languages a starter can be written in, with its file and memory. */
    enum Language {
        c("main.c", MAIN_C, 16), python("handler.py", HANDLER_PY, 64), lua("handler.lua", HANDLER_LUA, 32);

        final String file;
        final String text;
        final int memoryMb;

        Language(String file, String text, int memoryMb) {
            this.file = file;
            this.text = text;
            this.memoryMb = memoryMb;
        }
    }

    @Option(names = "--runtime", paramLabel = "LANGUAGE", defaultValue = "c",
            description = "c, python or lua (default: c).")
    Language runtime;

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
            write(dir.resolve(runtime.file), runtime.text.replace("{name}", name));
            write(dir.resolve(FunctionName.MANIFEST), FUNCTION_JSON.replace("{name}", name)
                    .replace("{runtime}", runtime.name()).replace("{memory}", Integer.toString(runtime.memoryMb)));
        } catch (FileAlreadyExistsException e) {
            throw new Failure(e.getFile() + " already exists");
        } catch (IOException e) {
            throw Failure.io("cannot create " + dir, e);
        }
        out().println("created " + dir + "/" + runtime.file + " and " + dir + "/" + FunctionName.MANIFEST);
        out().println("next:");
        out().println("  fn deploy " + dir);
        out().println("  fn invoke " + function + " -d 'Thaw'");
        return 0;
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    }
}
