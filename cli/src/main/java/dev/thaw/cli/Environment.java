package dev.thaw.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * What {@code fn} takes from the process it runs in. Tests supply their own, since Java
 * cannot set environment variables and the standard streams are shared by the whole JVM.
 *
 * @param variables   environment variable lookup; null when unset
 * @param home        the user's home directory
 * @param stdin       standard input, read as a request body when it is not a terminal
 * @param stdout      standard output as bytes, for function responses that may not be text
 * @param interactive whether a person sits at a terminal on stdin and stdout
 */
record Environment(UnaryOperator<String> variables, Path home, InputStream stdin, OutputStream stdout,
                   boolean interactive) {

    static Environment system() {
        return new Environment(System::getenv, Path.of(System.getProperty("user.home")), System.in, System.out,
                System.console() != null);
    }

    String variable(String name) {
        return variables.apply(name);
    }
}
