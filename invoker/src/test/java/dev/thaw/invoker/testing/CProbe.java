package dev.thaw.invoker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a C program with the host's gcc, runs it, and parses its "name value" lines: how
 * tests learn what the C compiler thinks of a struct or a constant.
 */
public final class CProbe {
    private CProbe() {}

    public static Map<String, Long> run(String source, String... includeDirs) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("thaw-cprobe-");
        try {
            Path c = dir.resolve("probe.c");
            Files.writeString(c, source);
            List<String> cmd = new ArrayList<>(List.of("gcc", "-O0", "-w", "-o", dir.resolve("probe").toString(), c.toString()));
            for (String inc : includeDirs) {
                cmd.add("-I" + inc);
            }
            Process cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (cc.waitFor() != 0) {
                throw new IllegalStateException("gcc failed:\n" + ccOut);
            }
            Process p = new ProcessBuilder(dir.resolve("probe").toString()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("probe failed");
            }
            Map<String, Long> values = new LinkedHashMap<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    String[] parts = line.trim().split(" ");
                    values.put(parts[0], Long.parseUnsignedLong(parts[1]));
                }
            }
            return values;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }
}
