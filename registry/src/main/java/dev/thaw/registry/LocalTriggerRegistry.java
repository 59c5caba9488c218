package dev.thaw.registry;

import dev.thaw.protocol.FunctionName;
import dev.thaw.protocol.TriggerSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A {@link TriggerRegistry} in a directory: {@code <dir>/<name>.json}, one file per trigger
 * holding {@link TriggerSpec#toJson()}. A trigger is created by writing a temporary file,
 * forcing it to disk and hard-linking it to its name, which fails if the name exists: two
 * processes creating the same trigger cannot both succeed, and no reader sees half a file.
 */
public final class LocalTriggerRegistry implements TriggerRegistry {
    private static final System.Logger LOG = System.getLogger(LocalTriggerRegistry.class.getName());
    private static final String SUFFIX = ".json";

    private final Path dir;

    /** Opens (creating it if needed) the triggers kept in {@code dir}. */
    public LocalTriggerRegistry(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw failure("open the triggers", dir, e);
        }
    }

    @Override
    public boolean create(TriggerSpec trigger) {
        Path file = file(trigger.name());
        Path temp = dir.resolve("." + trigger.name() + "-" + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(trigger.toJsonBytes());
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.createLink(file, temp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw failure("create trigger " + trigger.name(), file, e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // a leftover temporary file is harmless: readers skip it
            }
        }
    }

    @Override
    public Optional<TriggerSpec> get(String name) {
        Path file = file(name);
        try {
            return Optional.of(TriggerSpec.fromJson(Files.readAllBytes(file)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            throw failure("read trigger " + name, file, e);
        }
    }

    @Override
    public List<TriggerSpec> list() {
        List<TriggerSpec> triggers = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (!FunctionName.isValid(name.substring(0, name.length() - SUFFIX.length()))) {
                    continue;
                }
                try {
                    triggers.add(TriggerSpec.fromJson(Files.readAllBytes(file)));
                } catch (NoSuchFileException deletedMeanwhile) {
                    // gone since the listing
                } catch (IllegalArgumentException e) {
                    LOG.log(System.Logger.Level.WARNING, "skipping the unreadable trigger " + file + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw failure("list the triggers", dir, e);
        }
        triggers.sort(Comparator.comparing(TriggerSpec::name));
        return triggers;
    }

    @Override
    public boolean delete(String name) {
        Path file = file(name);
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw failure("delete trigger " + name, file, e);
        }
    }

    /** Nothing to release: every operation opens and closes its own files. */
    @Override
    public void close() {}

    private Path file(String name) {
        return dir.resolve(FunctionName.require(name) + SUFFIX);
    }

    private static RegistryException failure(String operation, Path path, Exception cause) {
        return new RegistryException(operation + " failed (" + path + "): " + cause.getMessage(), cause);
    }
}
