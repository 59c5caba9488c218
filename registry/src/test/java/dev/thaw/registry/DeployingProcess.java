package dev.thaw.registry;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * A second process deploying into a {@link LocalFunctionRegistry}: prints "ready", waits for
 * a line on stdin so that every process starts together, deploys, then prints each version it got.
 * Arguments: registry directory, function name, number of deploys.
 */
public final class DeployingProcess {
    private DeployingProcess() {}

    public static void main(String[] args) throws Exception {
        int deploys = Integer.parseInt(args[2]);
        try (FunctionRegistry registry = new LocalFunctionRegistry(Path.of(args[0]))) {
            System.out.println("ready");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, UTF_8)).readLine();
            StringBuilder versions = new StringBuilder();
            for (int i = 0; i < deploys; i++) {
                byte[] bundle = ("process " + ProcessHandle.current().pid() + " deploy " + i).getBytes(UTF_8);
                versions.append(registry.deploy(args[1], "{}", bundle).version()).append('\n');
            }
            System.out.print(versions);
        }
    }
}
