package dev.thaw.invoker.testing;

import dev.thaw.invoker.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** KVM virtual machines this process holds, counted by their file descriptors. */
public final class OpenVms {
    private OpenVms() {}

    /** Every VM of the process: each is an open anon_inode:kvm-vm descriptor. */
    public static long all() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("anon_inode:kvm-vm");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The VMs that are shells: all of them but {@code engine}'s reserve of empty VMs. Exact
     * once the reserve is settled; callers that poll ride out a refill.
     */
    public static long shells(Engine engine) {
        return all() - engine.reservedVms();
    }
}
