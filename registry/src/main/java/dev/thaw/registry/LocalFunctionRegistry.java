package dev.thaw.registry;

import dev.thaw.protocol.FunctionName;
import dev.thaw.protocol.Sha256;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * A {@link FunctionRegistry} in a directory, for one host or several hosts sharing a file
 * system. Layout: {@code <dir>/functions/<name>/<version>/} holding {@code bundle.tar.gz},
 * {@code manifest.json} and {@code meta.json} (sha256, size, deployed_at), and
 * {@code <dir>/version-claims/<name>/<version>/}, empty directories that number the versions.
 *
 * <p>Processes sharing the directory coordinate only through atomic file-system operations,
 * never locks. A deploy claims its version number by creating a claim directory (which fails
 * if another deploy took the number) above every claim and version it sees; claims outlive a
 * delete, so a number never names other code (gateways and invokers cache {@code name@n} as
 * immutable). Only the last {@value #CLAIMS_KEPT} claims of a name are kept: a deploy would
 * have to race that many others of the same name to miss the highest. The deploy then
 * creates the version's directory, writes the bundle and manifest, and renames
 * {@code meta.json} into place: a version exists once its meta.json does, so no reader sees a
 * half-written version. A deploy that dies halfway leaves a directory without meta.json, which
 * stays invisible and whose number is not reused. Files are forced to disk before meta.json
 * appears, so after a power loss a just-deployed version may be missing but never corrupt.
 * Delete first renames the function's directory to a hidden trash name, so readers see all of
 * the function or none of it.
 */
public final class LocalFunctionRegistry implements FunctionRegistry {
    private static final String BUNDLE = "bundle.tar.gz";
    private static final String MANIFEST = "manifest.json";
    private static final String META = "meta.json";
    /** Never a valid function name (names start with a letter), so readers skip it. */
    private static final String TRASH_PREFIX = ".trash-";
    private static final Pattern VERSION_DIR = Pattern.compile("[1-9][0-9]{0,8}");
    /** How often a deploy starts over because a concurrent delete moved the function away under it. */
    private static final int DEPLOY_ATTEMPTS = 10;

    /** Claims kept per name; older ones are removed (see the class comment). */
    private static final int CLAIMS_KEPT = 16;

    private final Path functions;
    private final Path claims;

    /** What meta.json holds. */
    record Meta(String sha256, long size, Instant deployedAt) {}

    /** Opens (creating it if needed) the registry in {@code dir}; removes what interrupted deletes left. */
    public LocalFunctionRegistry(Path dir) {
        this.functions = dir.resolve("functions");
        this.claims = dir.resolve("version-claims");
        try {
            Files.createDirectories(functions);
            Files.createDirectories(claims);
            for (Path trash : entries(functions)) {
                if (trash.getFileName().toString().startsWith(TRASH_PREFIX)) {
                    removeTree(trash);
                }
            }
        } catch (IOException e) {
            throw failure("open the registry", functions, e);
        }
    }

    @Override
    public FunctionVersion deploy(String name, String manifestJson, byte[] bundle) {
        FunctionName.require(name);
        Objects.requireNonNull(manifestJson, "manifestJson");
        Objects.requireNonNull(bundle, "bundle");
        Meta meta = new Meta(Sha256.hex(bundle), bundle.length, Instant.now());
        Path dir = functions.resolve(name);
        for (int attempt = 1; ; attempt++) {
            try {
                int version = claimVersion(name, dir);
                Path versionDir = Files.createDirectories(dir).resolve(Integer.toString(version));
                Files.createDirectory(versionDir);
                // Nothing in the version's directory is read before meta.json exists, so only
                // meta.json needs to appear atomically.
                writeDurably(versionDir.resolve(BUNDLE), bundle);
                writeDurably(versionDir.resolve(MANIFEST), manifestJson.getBytes(UTF_8));
                Path metaTemp = versionDir.resolve("." + META + ".tmp");
                writeDurably(metaTemp, RecordJson.encode(meta));
                Files.move(metaTemp, versionDir.resolve(META), StandardCopyOption.ATOMIC_MOVE);
                return new FunctionVersion(name, version, manifestJson, meta.sha256(), meta.size(), meta.deployedAt());
            } catch (NoSuchFileException e) {
                // A concurrent delete moved the function's directory away: deploy into a new one.
                if (attempt == DEPLOY_ATTEMPTS) {
                    throw new RegistryException("deploy " + name + " failed: the function was deleted " + attempt
                            + " times while deploying", e);
                }
            } catch (IOException e) {
                throw failure("deploy " + name, dir, e);
            }
        }
    }

    @Override
    public Optional<FunctionVersion> latest(String name) {
        Path dir = functions.resolve(FunctionName.require(name));
        List<Integer> numbers = versionNumbers(dir, "find the latest version of " + name);
        for (int i = numbers.size() - 1; i >= 0; i--) {
            Optional<FunctionVersion> version = read(name, numbers.get(i));
            if (version.isPresent()) {
                return version;
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<FunctionVersion> version(String name, int version) {
        FunctionName.require(name);
        return version < 1 ? Optional.empty() : read(name, version);
    }

    @Override
    public List<FunctionVersion> versions(String name) {
        Path dir = functions.resolve(FunctionName.require(name));
        List<FunctionVersion> versions = new ArrayList<>();
        for (int number : versionNumbers(dir, "list the versions of " + name)) {
            read(name, number).ifPresent(versions::add);
        }
        return versions;
    }

    @Override
    public List<String> names() {
        try {
            List<String> names = new ArrayList<>();
            for (Path dir : entries(functions)) {
                String name = dir.getFileName().toString();
                if (FunctionName.isValid(name) && hasVersion(dir)) {
                    names.add(name);
                }
            }
            names.sort(null);
            return names;
        } catch (IOException e) {
            throw failure("list functions", functions, e);
        }
    }

    @Override
    public Optional<byte[]> bundle(String name, int version) {
        FunctionName.require(name);
        if (version < 1) {
            return Optional.empty();
        }
        Path versionDir = versionDir(name, version);
        try {
            if (!Files.exists(versionDir.resolve(META))) {
                return Optional.empty();
            }
            return Optional.of(Files.readAllBytes(versionDir.resolve(BUNDLE)));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // deleted meanwhile
        } catch (IOException e) {
            throw failure("read the bundle of " + name + " version " + version, versionDir, e);
        }
    }

    @Override
    public boolean delete(String name) {
        Path dir = functions.resolve(FunctionName.require(name));
        Path trash = functions.resolve(TRASH_PREFIX + name + "-" + UUID.randomUUID());
        try {
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw failure("delete " + name, dir, e);
        }
        try {
            boolean existed = hasVersion(trash);
            removeTree(trash);
            return existed;
        } catch (IOException e) {
            throw failure("remove the files of deleted function " + name, trash, e);
        }
    }

    /** Nothing to release: every operation opens and closes its own files. */
    @Override
    public void close() {}

    /**
     * Claims the lowest number above every claim and every version directory of {@code name}
     * (directories from before claims existed count too) and returns it.
     */
    private int claimVersion(String name, Path functionDir) throws IOException {
        Path claimDir = Files.createDirectories(claims.resolve(name));
        List<Integer> claimed = versionNumbers(claimDir);
        List<Integer> existing = versionNumbers(functionDir, "list the versions of " + name);
        int version = 1 + Math.max(claimed.isEmpty() ? 0 : claimed.getLast(), existing.isEmpty() ? 0 : existing.getLast());
        while (true) {
            try {
                Files.createDirectory(claimDir.resolve(Integer.toString(version)));
                break;
            } catch (FileAlreadyExistsException e) {
                version++; // a concurrent deploy took it
            }
        }
        for (int old : claimed) {
            if (old <= version - CLAIMS_KEPT) {
                Files.deleteIfExists(claimDir.resolve(Integer.toString(old)));
            }
        }
        return version;
    }

    private Optional<FunctionVersion> read(String name, int version) {
        Path versionDir = versionDir(name, version);
        try {
            Meta meta = RecordJson.decode(Files.readAllBytes(versionDir.resolve(META)), Meta.class);
            String manifest = Files.readString(versionDir.resolve(MANIFEST));
            return Optional.of(new FunctionVersion(name, version, manifest, meta.sha256(), meta.size(), meta.deployedAt()));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // not completely deployed yet, or deleted meanwhile
        } catch (IOException | IllegalArgumentException e) {
            throw failure("read " + name + " version " + version, versionDir, e);
        }
    }

    private Path versionDir(String name, int version) {
        return functions.resolve(name).resolve(Integer.toString(version));
    }

    private static List<Integer> versionNumbers(Path dir, String operation) {
        try {
            return versionNumbers(dir);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw failure(operation, dir, e);
        }
    }

    /** Numbers of the version directories in {@code dir}, complete or not, ascending. */
    private static List<Integer> versionNumbers(Path dir) throws IOException {
        List<Integer> numbers = new ArrayList<>();
        for (Path entry : entries(dir)) {
            String fileName = entry.getFileName().toString();
            if (VERSION_DIR.matcher(fileName).matches()) {
                numbers.add(Integer.parseInt(fileName));
            }
        }
        numbers.sort(null);
        return numbers;
    }

    private static boolean hasVersion(Path functionDir) throws IOException {
        try {
            for (int number : versionNumbers(functionDir)) {
                if (Files.exists(functionDir.resolve(Integer.toString(number)).resolve(META))) {
                    return true;
                }
            }
            return false;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    private static List<Path> entries(Path dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(entries::add);
        }
        return entries;
    }

    private static void writeDurably(Path file, byte[] content) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    /** Removes a tree that another process may be removing at the same time. */
    private static void removeTree(Path path) throws IOException {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            List<Path> children;
            try {
                children = entries(path);
            } catch (NoSuchFileException e) {
                return;
            }
            for (Path child : children) {
                removeTree(child);
            }
        }
        Files.deleteIfExists(path);
    }

    private static RegistryException failure(String operation, Path path, Exception cause) {
        return new RegistryException(operation + " failed (" + path + "): " + cause, cause);
    }
}
