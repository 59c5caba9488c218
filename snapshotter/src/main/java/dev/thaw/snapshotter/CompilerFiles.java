package dev.thaw.snapshotter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The host files a compile needs, found by asking the host's own tools rather than assuming
 * a distribution's layout: the programs (gcc, as, ld, and the sh, dirname and prlimit that
 * thaw-cc and the limits use), gcc's own directories (cc1, collect2, its headers, crt files,
 * libgcc), the shared libraries all of them load (from {@code ldd}), and the top-level
 * symbolic links of a merged /usr (/lib64 -> usr/lib64 is where the ELF interpreter is named).
 * Nothing else of the host is visible in the sandbox.
 *
 * @param programs  sandbox path -> host file, each program at the path it has on the host
 * @param gccDirs   gcc's libexec and library directories, bound whole
 * @param libraries sandbox path -> host file, for the dynamic loader and shared libraries
 * @param symlinks  top-level names that are symbolic links on the host, and their targets
 * @param path      PATH inside the sandbox: the directories of the programs
 */
record CompilerFiles(Map<Path, Path> programs, Set<Path> gccDirs, Map<Path, Path> libraries,
                     Map<String, String> symlinks, String path) {
    /** thaw-cc is a shell script; sh must also be where its #! line says. */
    static final Path SHELL = Path.of("/bin/sh");
    private static final List<String> PROGRAMS = List.of("gcc", "as", "ld", "dirname", "prlimit");
    private static final List<String> TOP_LEVEL = List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32");

    static CompilerFiles discover() throws IOException {
        Map<Path, Path> programs = new LinkedHashMap<>();
        for (String name : PROGRAMS) {
            Path p = onPath(name);
            programs.put(inRealDirectory(p), p);
        }
        Path gcc = onPath("gcc");
        for (String tool : List.of("as", "ld")) { // gcc's configured assembler and linker, if not the ones on PATH
            String configured = ask(gcc, "-print-prog-name=" + tool);
            if (configured.startsWith("/")) {
                programs.put(inRealDirectory(Path.of(configured)), Path.of(configured));
            }
        }
        programs.put(inRealDirectory(SHELL), SHELL);

        Set<Path> gccDirs = new LinkedHashSet<>();
        gccDirs.add(existing(Path.of(ask(gcc, "-print-prog-name=cc1"))).getParent());
        gccDirs.add(existing(Path.of(ask(gcc, "-print-libgcc-file-name"))).getParent());

        // gcc's programs (cc1, collect2, lto-wrapper) and the plugin ld loads on every link
        List<Path> elves = new ArrayList<>(programs.values());
        for (Path dir : gccDirs) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(f -> Files.isRegularFile(f) && Files.isExecutable(f) && !f.toString().endsWith(".so"))
                        .forEach(elves::add);
            }
        }
        Path plugin = Path.of(ask(gcc, "-print-file-name=liblto_plugin.so"));
        if (plugin.isAbsolute() && Files.isRegularFile(plugin)) {
            elves.add(plugin);
        }
        Map<Path, Path> libraries = new LinkedHashMap<>();
        for (Path lib : sharedLibraries(elves)) {
            libraries.put(inRealDirectory(lib), lib);
        }

        Map<String, String> symlinks = new LinkedHashMap<>();
        for (String name : TOP_LEVEL) {
            Path p = Path.of("/", name);
            if (Files.isSymbolicLink(p)) {
                symlinks.put("/" + name, Files.readSymbolicLink(p).toString());
            }
        }
        Set<String> pathDirs = new LinkedHashSet<>();
        for (Path p : programs.keySet()) {
            pathDirs.add(p.getParent().toString());
        }
        // ordered, so that the same host gives the same command line
        return new CompilerFiles(Collections.unmodifiableMap(programs), Collections.unmodifiableSet(gccDirs),
                Collections.unmodifiableMap(libraries), Collections.unmodifiableMap(symlinks),
                String.join(":", pathDirs));
    }

    /**
     * Where a file is bound in the sandbox: under its directory's real path (bwrap cannot create
     * a file through a link such as a merged /usr's /bin -> usr/bin; the links are mirrored
     * separately) but with its own name, which for a library is the soname ldd gave.
     */
    private static Path inRealDirectory(Path file) throws IOException {
        return file.getParent().toRealPath().resolve(file.getFileName());
    }

    /** The directories of the shared libraries, in the sandbox: the loader has no ld.so.cache there. */
    String libraryPath() {
        Set<String> dirs = new LinkedHashSet<>();
        for (Path p : libraries.keySet()) {
            dirs.add(p.getParent().toString());
        }
        return String.join(":", dirs);
    }

    static Path onPath(String name) throws IOException {
        String path = System.getenv("PATH");
        for (String dir : (path == null || path.isEmpty() ? "/usr/bin:/bin" : path).split(":")) {
            if (!dir.startsWith("/")) {
                continue; // a relative PATH entry means nothing for a fixed set of host tools
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IOException("the compile sandbox needs '" + name + "', which is not on the PATH (" + path + ")");
    }

    private static Path existing(Path p) throws IOException {
        if (!p.isAbsolute() || !Files.exists(p)) {
            throw new IOException("gcc names '" + p + "' as one of its files, which does not exist");
        }
        return p;
    }

    private static String ask(Path gcc, String option) throws IOException {
        return run(List.of(gcc.toString(), option)).strip();
    }

    /** Every library the files load, by absolute path, from one run of ldd over all of them. */
    private static Set<Path> sharedLibraries(List<Path> files) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("ldd");
        files.forEach(f -> command.add(f.toString()));
        Set<Path> libs = new LinkedHashSet<>();
        // "\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)", "\t/lib64/ld-linux-x86-64.so.2 (0x...)"
        for (String line : run(command, true).split("\n")) {
            String t = line.strip();
            int arrow = t.indexOf("=> ");
            String path = arrow >= 0 ? t.substring(arrow + 3) : t;
            int paren = path.indexOf(" (0x");
            if (path.startsWith("/") && paren > 0) {
                libs.add(Path.of(path.substring(0, paren)));
            }
        }
        if (libs.isEmpty()) {
            throw new IOException("ldd found no shared libraries for " + files);
        }
        return libs;
    }

    private static String run(List<String> command) throws IOException {
        return run(command, false);
    }

    /** Runs a host tool on the host's own files (trusted input) and returns its output. */
    private static String run(List<String> command, boolean tolerateFailure) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command.getFirst() + " did not finish in 30 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.getFirst(), e);
        }
        // ldd exits 1 when one of many files is not dynamic (a script, a static program)
        if (p.exitValue() != 0 && !tolerateFailure) {
            throw new IOException(String.join(" ", command) + " failed (status " + p.exitValue() + "): " + out.strip());
        }
        return out;
    }
}
