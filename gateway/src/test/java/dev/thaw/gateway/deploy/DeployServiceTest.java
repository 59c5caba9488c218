package dev.thaw.gateway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.gateway.ApiException;
import dev.thaw.gateway.FakeInvokers;
import dev.thaw.gateway.GatewayMetrics;
import dev.thaw.gateway.invoke.FunctionCatalog;
import dev.thaw.protocol.BuildFailure;
import dev.thaw.registry.LocalFunctionRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deploying and deleting, without Quarkus and without KVM. */
class DeployServiceTest {
    @TempDir
    Path dir;

    private LocalFunctionRegistry registry;
    private FakeInvokers invokers;
    private FunctionCatalog catalog;
    private DeployService deploys;

    @BeforeEach
    void setUp() {
        registry = new LocalFunctionRegistry(dir);
        invokers = new FakeInvokers();
        catalog = new FunctionCatalog(registry);
        deploys = new DeployService(registry, invokers, catalog, new GatewayMetrics(new SimpleMeterRegistry()));
    }

    private static byte[] bundle(String manifest) {
        return manifest.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBuiltBundleBecomesTheNextVersionWithItsManifest() throws Exception {
        DeployService.Deployed first = deploys.deploy("hello", bundle("{\"name\": \"hello\"}"));
        DeployService.Deployed second = deploys.deploy("hello", bundle("{\"name\": \"hello\", \"public\": true}"));
        assertEquals(1, first.version().version());
        assertEquals(2, second.version().version());
        assertEquals("{\"name\": \"hello\", \"public\": true}", registry.latest("hello").orElseThrow().manifestJson());
        assertTrue(catalog.find("hello", OptionalInt.empty()).orElseThrow().settings().isPublic(), "the catalog saw it at once");
    }

    @Test
    void aBundleThatDoesNotBuildLeavesNothingBehind() {
        BuildFailure f = assertThrows(BuildFailure.class, () -> deploys.deploy("hello", bundle("broken")));
        assertEquals(BuildFailure.Kind.DOES_NOT_BUILD, f.kind());
        assertEquals("main.c: error", f.compiler());
        assertEquals(List.of(), registry.names());
    }

    @Test
    void badNamesAre400NamingTheRule() {
        ApiException e = assertThrows(ApiException.class, () -> deploys.deploy("Bad_Name", bundle("{}")));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("invalid function name 'Bad_Name'"), e.getMessage());
    }

    @Test
    void deleteForgetsOnTheInvokersAndTheNextVersionNumberIsNew() throws Exception {
        deploys.deploy("hello", bundle("{\"name\": \"hello\"}"));
        assertTrue(deploys.delete("hello"));
        assertEquals(List.of("hello"), invokers.forgotten);
        assertEquals(Optional.empty(), catalog.find("hello", OptionalInt.empty()));
        assertFalse(deploys.delete("hello"));
        assertEquals(2, deploys.deploy("hello", bundle("{\"name\": \"hello\"}")).version().version());
    }
}
