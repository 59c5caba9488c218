package dev.thaw.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code fn trigger create|ls|rm}: Kafka triggers (docs/EVENTS.md). Only groups its subcommands. */
@Command(name = "trigger", description = "Run a function on the events of a Kafka topic.",
        subcommands = {TriggerCreateCommand.class, TriggerListCommand.class, TriggerRemoveCommand.class})
final class TriggerCommand {
    @ParentCommand
    Fn fn;
}
