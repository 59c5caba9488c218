package dev.thaw.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every subcommand shares: the global options (through {@link Fn}), the output
 * writers, and the rule that a failure is one {@code fn: } line on stderr and exit status 1,
 * never a stack trace.
 */
abstract class Subcommand implements Callable<Integer> {
    /** Exit status for an interrupted command, as a shell reports SIGINT. */
    private static final int INTERRUPTED = 130;

    /** {@link Fn}, or a group of commands under it ({@link TriggerCommand}). */
    @ParentCommand
    Object parent;

    /** The global options; set before {@link #run()}. */
    Fn fn;

    @Spec
    CommandSpec spec;

    /** Does the command's work and returns its exit status. */
    abstract int run() throws IOException, InterruptedException;

    @Override
    public final Integer call() {
        fn = parent instanceof TriggerCommand group ? group.fn : (Fn) parent;
        try {
            return run();
        } catch (Failure e) {
            fail(e.getMessage(), e.detail());
        } catch (IOException e) {
            fail(Failure.io("input/output error", e).getMessage(), null);
        } catch (InterruptedException e) {
            return INTERRUPTED;
        } catch (RuntimeException e) {
            // A bug in fn: still one line, naming what was thrown.
            fail("internal error: " + e, null);
        } finally {
            out().flush();
            err().flush();
        }
        return 1;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Prints the gateway's JSON answer as it came, on lines of its own. */
    void printJson(Gateway.Response response) {
        String text = response.text();
        out().print(text.endsWith("\n") ? text : text + "\n");
    }

    /** Left-aligned columns, each as wide as its widest cell, two spaces apart; the first row is the headings. */
    void printTable(List<List<String>> rows) {
        int[] widths = new int[rows.getFirst().size()];
        for (List<String> row : rows) {
            for (int c = 0; c < widths.length; c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < widths.length; c++) {
                line.append(c == widths.length - 1 ? row.get(c) : String.format("%-" + widths[c] + "s  ", row.get(c)));
            }
            out().println(line.toString().stripTrailing());
        }
    }

    private void fail(String message, String detail) {
        err().println("fn: " + message);
        if (detail != null && !detail.isEmpty()) {
            err().print(detail.endsWith("\n") ? detail : detail + "\n");
        }
    }
}
