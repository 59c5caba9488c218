package dev.thaw.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code fn rm NAME}: removes a function and all its versions. */
@Command(name = "rm", description = "Remove a function and all its versions.")
final class RemoveCommand extends Subcommand {
    @Parameters(paramLabel = "NAME", description = "The function.")
    String name;

    @Override
    int run() {
        FunctionName function = new FunctionName(name);
        try (Gateway gateway = fn.gateway()) {
            gateway.send("DELETE", "/v1/functions/" + function, null);
        }
        // The gateway answers 204 with no body: --json has nothing to print.
        if (!fn.json()) {
            out().println("removed " + function);
        }
        return 0;
    }
}
