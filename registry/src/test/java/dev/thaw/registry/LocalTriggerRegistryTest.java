package dev.thaw.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalTriggerRegistryTest extends TriggerRegistryContract {
    @TempDir
    Path dir;

    @Override
    TriggerRegistry newInstance() {
        return new LocalTriggerRegistry(dir);
    }

    @Test
    void oneFileEachAndLeftoversAreSkipped() throws Exception {
        registry.create(trigger("orders", "orders"));
        Files.writeString(dir.resolve(".orders-1234.tmp"), "half a trigger");
        Files.writeString(dir.resolve("broken.json"), "{\"name\": ");
        Files.writeString(dir.resolve("Not-A-Name.json"), "{}");

        assertEquals(List.of("orders"), registry.list().stream().map(t -> t.name()).toList());
        assertEquals("hello", new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(dir.resolve("orders.json").toFile()).get("function").asText());
    }
}
