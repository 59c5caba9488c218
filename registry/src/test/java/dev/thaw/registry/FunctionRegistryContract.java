package dev.thaw.registry;

import dev.thaw.protocol.Sha256;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every {@link FunctionRegistry} promises; each implementation's test extends this. */
abstract class FunctionRegistryContract {
    private final List<FunctionRegistry> opened = new ArrayList<>();
    FunctionRegistry registry;

    /** A new registry over the same store as every other one the test opens, as another process would see it. */
    abstract FunctionRegistry newInstance();

    FunctionRegistry open() {
        FunctionRegistry instance = newInstance();
        opened.add(instance);
        return instance;
    }

    @BeforeEach
    void openRegistry() {
        registry = open();
    }

    @AfterEach
    void closeRegistries() {
        opened.forEach(FunctionRegistry::close);
    }

    @Test
    void deploysNumberVersionsFromOneAndDescribeTheBundle() {
        Instant before = Instant.now();
        FunctionVersion first = registry.deploy("hello", manifest("hello", 1), bytes("bundle one"));
        FunctionVersion second = registry.deploy("hello", manifest("hello", 2), bytes("bundle two"));
        FunctionVersion third = registry.deploy("hello", manifest("hello", 3), bytes("bundle three"));
        Instant after = Instant.now();

        assertEquals(List.of(1, 2, 3), List.of(first.version(), second.version(), third.version()));
        assertEquals("hello", first.name());
        assertEquals(manifest("hello", 1), first.manifestJson());
        assertEquals(Sha256.hex(bytes("bundle one")), first.bundleSha256());
        assertEquals("bundle one".length(), first.bundleSize());
        assertFalse(first.deployedAt().isBefore(before));
        assertFalse(third.deployedAt().isAfter(after));
    }

    @Test
    void readsBackEveryDeployedVersion() {
        FunctionVersion first = registry.deploy("hello", manifest("hello", 1), bytes("one"));
        FunctionVersion second = registry.deploy("hello", manifest("hello", 2), bytes("two"));
        FunctionVersion third = registry.deploy("hello", manifest("hello", 3), bytes("three"));
        registry.deploy("zeta", manifest("zeta", 1), bytes("z"));
        registry.deploy("alpha", manifest("alpha", 1), bytes("a"));

        assertEquals(Optional.of(third), registry.latest("hello"));
        assertEquals(Optional.of(second), registry.version("hello", 2));
        assertEquals(List.of(first, second, third), registry.versions("hello"));
        assertEquals(List.of("alpha", "hello", "zeta"), registry.names());
        assertArrayEquals(bytes("two"), registry.bundle("hello", 2).orElseThrow());
    }

    @Test
    void bundleComesBackByteForByte() {
        byte[] bundle = new byte[256 * 4];
        for (int i = 0; i < bundle.length; i++) {
            bundle[i] = (byte) i;
        }
        FunctionVersion deployed = registry.deploy("bytes", manifest("bytes", 1), bundle);

        assertArrayEquals(bundle, registry.bundle("bytes", deployed.version()).orElseThrow());
        assertEquals(Sha256.hex(bundle), deployed.bundleSha256());
        assertEquals(bundle.length, deployed.bundleSize());
    }

    @Test
    void concurrentDeploysFromSeveralInstancesGetDistinctConsecutiveVersions() throws Exception {
        int threads = 8;
        int deploysPerThread = 5;
        List<FunctionRegistry> instances = List.of(registry, open());
        Map<Integer, byte[]> bundleByVersion = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> deployers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                FunctionRegistry instance = instances.get(t % instances.size());
                int thread = t;
                deployers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < deploysPerThread; i++) {
                        byte[] bundle = bytes("thread " + thread + " deploy " + i);
                        FunctionVersion version = instance.deploy("busy", manifest("busy", 1), bundle);
                        assertNull(bundleByVersion.put(version.version(), bundle), "version given twice");
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> deployer : deployers) {
                deployer.get();
            }
        }

        int total = threads * deploysPerThread;
        List<Integer> expected = IntStream.rangeClosed(1, total).boxed().toList();
        assertEquals(expected, bundleByVersion.keySet().stream().sorted().toList());
        assertEquals(expected, registry.versions("busy").stream().map(FunctionVersion::version).toList());
        bundleByVersion.forEach((version, bundle) ->
                assertArrayEquals(bundle, registry.bundle("busy", version).orElseThrow(), "bundle of version " + version));
    }

    @Test
    void newInstanceSeesEverythingDeployedBefore() {
        FunctionVersion hello = registry.deploy("hello", manifest("hello", 1), bytes("h1"));
        FunctionVersion hello2 = registry.deploy("hello", manifest("hello", 2), bytes("h2"));
        FunctionVersion other = registry.deploy("other", manifest("other", 1), bytes("o1"));
        registry.close();

        FunctionRegistry restarted = open();
        assertEquals(List.of("hello", "other"), restarted.names());
        assertEquals(List.of(hello, hello2), restarted.versions("hello"));
        assertEquals(Optional.of(other), restarted.latest("other"));
        assertArrayEquals(bytes("h2"), restarted.bundle("hello", 2).orElseThrow());
        assertEquals(3, restarted.deploy("hello", manifest("hello", 3), bytes("h3")).version());
    }

    @Test
    void deleteRemovesTheFunctionAndARedeployNeverReusesItsVersionNumbers() {
        registry.deploy("hello", manifest("hello", 1), bytes("h1"));
        registry.deploy("hello", manifest("hello", 2), bytes("h2"));
        FunctionVersion other = registry.deploy("other", manifest("other", 1), bytes("o1"));

        assertTrue(registry.delete("hello"));

        assertEquals(Optional.empty(), registry.latest("hello"));
        assertEquals(Optional.empty(), registry.version("hello", 1));
        assertEquals(List.of(), registry.versions("hello"));
        assertEquals(Optional.empty(), registry.bundle("hello", 2));
        assertEquals(List.of("other"), registry.names());
        assertEquals(List.of(other), registry.versions("other"));
        assertFalse(registry.delete("hello"), "a second delete finds nothing");

        // Gateways and invokers cache name@n as immutable: a number must never name other code.
        FunctionVersion redeployed = registry.deploy("hello", manifest("hello", 9), bytes("again"));
        assertEquals(3, redeployed.version());
        assertEquals(List.of(redeployed), open().versions("hello"));
        assertEquals(Optional.empty(), open().version("hello", 1));

        assertTrue(registry.delete("hello"));
        assertEquals(4, open().deploy("hello", manifest("hello", 10), bytes("and again")).version(),
                "another process after a second delete");
    }

    @Test
    void unknownFunctionsAndVersionsGiveEmptyResults() {
        assertEquals(List.of(), registry.names());
        assertEquals(Optional.empty(), registry.latest("nope"));
        assertEquals(List.of(), registry.versions("nope"));
        assertEquals(Optional.empty(), registry.version("nope", 1));
        assertEquals(Optional.empty(), registry.bundle("nope", 1));
        assertFalse(registry.delete("nope"));

        registry.deploy("hello", manifest("hello", 1), bytes("h1"));
        for (int version : new int[] {2, 0, -1}) {
            assertEquals(Optional.empty(), registry.version("hello", version), "version " + version);
            assertEquals(Optional.empty(), registry.bundle("hello", version), "bundle of version " + version);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Hello", "1up", "-dash", "under_score", "dot.ted", "../escape", "a/b", "a:b", " hello",
            "hello\n", "a234567890123456789012345678901234567890123456789012345678901234"})
    void invalidNamesAreRefused(String name) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> registry.deploy(name, "{}", bytes("x")));
        assertTrue(refused.getMessage().contains("invalid function name"), refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> registry.latest(name));
        assertThrows(IllegalArgumentException.class, () -> registry.version(name, 1));
        assertThrows(IllegalArgumentException.class, () -> registry.versions(name));
        assertThrows(IllegalArgumentException.class, () -> registry.bundle(name, 1));
        assertThrows(IllegalArgumentException.class, () -> registry.delete(name));
        assertEquals(List.of(), registry.names());
    }

    @Test
    void nullNameIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> registry.deploy(null, "{}", bytes("x")));
        assertThrows(IllegalArgumentException.class, () -> registry.latest(null));
    }

    @Test
    void namesOfSixtyThreeCharactersAreAccepted() {
        String longest = "a" + "-b".repeat(31);
        assertEquals(63, longest.length());
        registry.deploy(longest, manifest(longest, 1), bytes("x"));
        assertEquals(List.of(longest), registry.names());
    }

    static String manifest(String name, int revision) {
        return "{\"name\":\"" + name + "\",\"runtime\":\"c\",\"memory_mb\":" + (16 * revision) + "}";
    }

    static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
