package dev.thaw.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class LocalFunctionRegistryTest extends FunctionRegistryContract {
    @TempDir
    Path dir;

    @Override
    FunctionRegistry newInstance() {
        return new LocalFunctionRegistry(dir);
    }

    @Test
    void keepsEachVersionAsFilesInItsOwnDirectory() throws Exception {
        FunctionVersion deployed = registry.deploy("hello", manifest("hello", 1), bytes("the bundle"));

        Path versionDir = dir.resolve("functions/hello/1");
        assertArrayEquals(bytes("the bundle"), Files.readAllBytes(versionDir.resolve("bundle.tar.gz")));
        assertEquals(manifest("hello", 1), Files.readString(versionDir.resolve("manifest.json")));
        JsonNode meta = new ObjectMapper().readTree(versionDir.resolve("meta.json").toFile());
        assertEquals(deployed.bundleSha256(), meta.get("sha256").asText());
        assertEquals(deployed.bundleSize(), meta.get("size").asLong());
        assertEquals(deployed.deployedAt(), Instant.parse(meta.get("deployed_at").asText()));
    }

    @Test
    void concurrentDeploysFromSeveralProcessesGetDistinctConsecutiveVersions() throws Exception {
        int processes = 2;
        int deploysEach = 20;
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                children.add(new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                        "-cp", System.getProperty("java.class.path"), DeployingProcess.class.getName(),
                        dir.toString(), "shared", Integer.toString(deploysEach))
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start());
            }
            List<BufferedReader> outputs = new ArrayList<>();
            for (Process child : children) {
                BufferedReader output = child.inputReader(UTF_8);
                assertEquals("ready", output.readLine());
                outputs.add(output);
            }
            for (Process child : children) {
                child.getOutputStream().write('\n');
                child.getOutputStream().flush();
            }
            List<Integer> versions = new ArrayList<>();
            for (int i = 0; i < deploysEach; i++) {
                versions.add(registry.deploy("shared", "{}", bytes("this process " + i)).version());
            }
            for (int i = 0; i < processes; i++) {
                outputs.get(i).lines().map(Integer::parseInt).forEach(versions::add);
                assertEquals(0, children.get(i).waitFor(), "exit status of deploying process " + i);
            }

            List<Integer> expected = IntStream.rangeClosed(1, (processes + 1) * deploysEach).boxed().toList();
            assertEquals(expected, versions.stream().sorted().toList());
            assertEquals(expected, registry.versions("shared").stream().map(FunctionVersion::version).toList());
        } finally {
            children.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void versionWhoseDeployDidNotFinishIsInvisibleAndItsNumberNotReused() throws Exception {
        FunctionVersion first = registry.deploy("hello", manifest("hello", 1), bytes("h1"));
        // What a deploy that died before writing meta.json leaves behind.
        Path unfinished = Files.createDirectories(dir.resolve("functions/hello/2"));
        Files.write(unfinished.resolve("bundle.tar.gz"), bytes("half a bun"));
        Files.createDirectories(dir.resolve("functions/ghost/1"));

        assertEquals(List.of(first), registry.versions("hello"));
        assertEquals(Optional.of(first), registry.latest("hello"));
        assertEquals(Optional.empty(), registry.version("hello", 2));
        assertEquals(Optional.empty(), registry.bundle("hello", 2));
        assertEquals(List.of("hello"), registry.names());
        assertFalse(registry.delete("ghost"), "a function with no finished version does not exist");
        assertEquals(3, registry.deploy("hello", manifest("hello", 3), bytes("h3")).version());
    }

    @Test
    void leftoversOfAnInterruptedDeleteAreRemovedOnOpen() throws Exception {
        Path trash = Files.createDirectories(dir.resolve("functions/.trash-hello-1234/1"));
        Files.write(trash.resolve("bundle.tar.gz"), bytes("old"));

        FunctionRegistry reopened = open();

        assertFalse(Files.exists(dir.resolve("functions/.trash-hello-1234")));
        assertEquals(List.of(), reopened.names());
    }
}
