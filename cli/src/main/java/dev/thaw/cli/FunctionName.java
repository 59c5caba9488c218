package dev.thaw.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** A function's name as the gateway accepts it (the rule is {@link dev.thaw.protocol.FunctionName}'s). */
record FunctionName(String value) {
    static final Pattern PATTERN = dev.thaw.protocol.FunctionName.PATTERN;

    /** The manifest every function folder holds. */
    static final String MANIFEST = "function.json";

    FunctionName {
        if (!dev.thaw.protocol.FunctionName.isValid(value)) {
            throw new Failure("invalid function name '" + value
                    + "' (lowercase letters, digits and '-', starting with a letter, at most 63)");
        }
    }

    /** The name {@code dir/function.json} declares. */
    static FunctionName ofManifest(Path dir) {
        Path file = dir.resolve(MANIFEST);
        JsonNode manifest;
        try {
            manifest = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new Failure("no " + MANIFEST + " in " + dir);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new Failure(file + " is not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            throw Failure.io("cannot read " + file, e);
        }
        JsonNode name = manifest.path("name");
        if (!name.isTextual()) {
            throw new Failure(file + " has no \"name\"");
        }
        try {
            return new FunctionName(name.textValue());
        } catch (Failure e) {
            throw new Failure(file + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
