package dev.thaw.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code fn trigger rm NAME}: removes a trigger; its consumers stop within seconds, committing what they handled. */
@Command(name = "rm", description = "Remove a trigger.")
final class TriggerRemoveCommand extends Subcommand {
    @Parameters(paramLabel = "NAME", description = "The trigger.")
    String name;

    @Override
    int run() {
        String trigger = name;
        if (!dev.thaw.protocol.FunctionName.isValid(trigger)) { // triggers are named like functions
            throw new Failure("invalid trigger name '" + trigger + "' (lowercase letters, digits and '-', starting with a "
                    + "letter, at most 63)");
        }
        try (Gateway gateway = fn.gateway()) {
            gateway.send("DELETE", "/v1/triggers/" + trigger, null);
        }
        if (!fn.json()) {
            out().println("removed trigger " + trigger);
        }
        return 0;
    }
}
