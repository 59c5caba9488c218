package dev.thaw.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code fn}, Thaw's command line: runs the embedded platform and talks to a gateway's HTTP
 * API (docs/API.md). This class holds the options every subcommand shares and where their
 * defaults come from.
 */
// Inherited scope gives every subcommand --help and --version too.
@Command(name = "fn", mixinStandardHelpOptions = true, version = "fn 0.1.0", scope = ScopeType.INHERIT,
        description = "Run Thaw and deploy, invoke and inspect its functions.",
        subcommands = {UpCommand.class, InitCommand.class, DeployCommand.class, InvokeCommand.class,
                ListCommand.class, LogsCommand.class, RemoveCommand.class, TriggerCommand.class})
public final class Fn {
    static final String DEFAULT_GATEWAY = "http://127.0.0.1:8080";

    /** Where the embedded gateway keeps its state, under the home directory. */
    static final Path DEFAULT_STATE = Path.of(".thaw", "state");

    @Option(names = "--gateway", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = {"Gateway URL.", "Default: $FN_GATEWAY, else " + DEFAULT_GATEWAY + "."})
    String gatewayOption;

    @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
            description = {"Admin token.", "Default: $FN_TOKEN, else ~/.thaw/state/admin-token."})
    String tokenOption;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print the gateway's JSON instead of the human format.")
    boolean json;

    private final Environment environment;

    public Fn() {
        this(Environment.system());
    }

    Fn(Environment environment) {
        this.environment = environment;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Fn()).execute(args));
    }

    Environment environment() {
        return environment;
    }

    boolean json() {
        return json;
    }

    /** A client for the gateway these options name. */
    Gateway gateway() {
        return new Gateway(gatewayUrl(), token());
    }

    /** {@code --gateway}, else {@code $FN_GATEWAY}, else the local default. */
    URI gatewayUrl() {
        String url = firstNonBlank(gatewayOption, environment.variable("FN_GATEWAY")).orElse(DEFAULT_GATEWAY);
        URI uri;
        try {
            uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new Failure("invalid gateway URL '" + url + "'");
        }
        if (!(("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null)) {
            throw new Failure("invalid gateway URL '" + url + "' (expected http://HOST:PORT)");
        }
        return uri;
    }

    /** {@code --token}, else {@code $FN_TOKEN}, else the token the embedded gateway wrote. */
    Optional<String> token() {
        return firstNonBlank(tokenOption, environment.variable("FN_TOKEN")).or(this::tokenFile);
    }

    /** The home directory's state folder, where {@code fn up} keeps the platform's state by default. */
    Path stateDir() {
        return environment.home().resolve(DEFAULT_STATE);
    }

    private Optional<String> tokenFile() {
        Path file = stateDir().resolve("admin-token");
        if (!Files.isReadable(file)) {
            return Optional.empty();
        }
        try {
            return firstNonBlank(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw Failure.io("cannot read " + file, e);
        }
    }

    private static Optional<String> firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return Optional.of(v.strip());
            }
        }
        return Optional.empty();
    }
}
