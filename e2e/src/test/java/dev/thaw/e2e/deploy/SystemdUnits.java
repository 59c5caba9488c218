package dev.thaw.e2e.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * systemd's own checks of deploy/systemd's units, offline: {@code systemd-analyze verify}
 * (every directive known and well-formed, every command present) and {@code systemd-analyze
 * security --offline} (the exposure score of the sandboxing). Both run against a scratch root
 * that holds the units, the host's unit directory (for the targets they order against) and
 * a stand-in for each program they start, since /opt/thaw is not installed here.
 * verify exits 0 while it warns of an unknown key, so any output at all counts as a failure.
 */
public final class SystemdUnits implements AutoCloseable {
    private static final Path HOST_UNITS = Path.of("/usr/lib/systemd/system");
    /** ExecStart=, ExecStartPre=, ...: the program is the first word after systemd's prefixes (-@:+!). */
    private static final Pattern EXEC = Pattern.compile("^Exec[A-Za-z]*=[-@:+!]*(/\\S+)", Pattern.MULTILINE);

    private final Path root;
    private final List<String> units = new ArrayList<>();

    public SystemdUnits(Path unitDir) throws IOException {
        root = Files.createTempDirectory("thaw-systemd-root");
        Path system = Files.createDirectories(root.resolve("etc/systemd/system"));
        copyTree(HOST_UNITS, Files.createDirectories(root.resolve("usr/lib/systemd/system")));
        try (Stream<Path> files = Files.list(unitDir)) {
            for (Path unit : files.filter(f -> f.toString().endsWith(".service")).sorted().toList()) {
                String text = Files.readString(unit);
                Files.writeString(system.resolve(unit.getFileName()), text);
                units.add(unit.getFileName().toString());
                Matcher m = EXEC.matcher(text);
                while (m.find()) {
                    Path program = root.resolve(m.group(1).substring(1));
                    Files.createDirectories(program.getParent());
                    Files.writeString(program, "#!/bin/false\n");
                    Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        }
        if (units.isEmpty()) {
            throw new AssertionError("no .service files in " + unitDir);
        }
    }

    public List<String> units() {
        return units;
    }

    /** What systemd-analyze verify says about the units: nothing when they are right. */
    public String verify() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no", "--root=" + root));
        command.addAll(units);
        Command.Result r = Command.run(command, "verifying the systemd units");
        return (r.out() + r.err()).strip() + (r.exitCode() != 0 ? "\n(exit " + r.exitCode() + ")" : "");
    }

    /** systemd-analyze security's report for a unit, or an AssertionError with it if the exposure is over {@code max} (0 to 10). */
    public String security(String unit, double max) throws IOException, InterruptedException {
        Command.Result r = Command.run(List.of("systemd-analyze", "security", "--offline=yes", "--root=" + root,
                "--threshold=" + Math.round(max * 10), unit), "scoring " + unit);
        if (r.exitCode() != 0) {
            throw new AssertionError(unit + ": exposure over " + max + " (systemd-analyze security):\n" + r.out() + r.err());
        }
        return r.out();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isSymbolicLink(f)) {
                    Files.createSymbolicLink(target, Files.readSymbolicLink(f));
                } else if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
