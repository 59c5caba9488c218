package dev.thaw.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The cluster gateway as packaged carries no VMM: no class of the engine (dev.thaw.invoker,
 * its kvm package included), the snapshotter or the invoker service is in its Quarkus app.
 * The embedded platform, the one place that joins a gateway and an invoker, has them.
 */
class ClusterGatewayClasspathIT {
    private static final List<String> VMM_PACKAGES = List.of("dev/thaw/invoker/", "dev/thaw/snapshotter/");

    private static List<String> vmmClasses(String module) throws Exception {
        Path app = Node.ROOT.resolve(module + "/target/quarkus-app");
        assertTrue(Files.isDirectory(app), app + " is not built");
        List<String> found = new ArrayList<>();
        try (Stream<Path> jars = Files.walk(app)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    file.stream().map(e -> e.getName())
                            .filter(n -> n.endsWith(".class") && VMM_PACKAGES.stream().anyMatch(n::startsWith))
                            .forEach(n -> found.add(app.relativize(jar) + "!" + n));
                }
            }
        }
        return found;
    }

    @Test
    void theClusterGatewayAppHoldsNoEngineSnapshotterOrInvokerClass() throws Exception {
        assertEquals(List.of(), vmmClasses("gateway"));
    }

    @Test
    void theEmbeddedPlatformHoldsTheEngine() throws Exception {
        List<String> classes = vmmClasses("embedded");
        assertTrue(classes.stream().anyMatch(c -> c.endsWith("dev/thaw/invoker/kvm/Kvm.class")), classes.toString());
    }
}
