package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.machine.PagePermission;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElfImageTest {
    @TempDir
    Path tmp;

    private byte[] thawBinary() throws Exception {
        Files.writeString(tmp.resolve("main.c"), "#include <stdio.h>\nint x = 1;\nint main(void){return getchar() + x;}\n");
        Process p = new ProcessBuilder(Toolchain.locate().compiler().toString(), "-O2", "-o", "fn", "main.c")
                .directory(tmp.toFile()).inheritIO().start();
        assertEquals(0, p.waitFor());
        return Files.readAllBytes(tmp.resolve("fn"));
    }

    @Test
    void readsAThawExecutable() throws Exception {
        ElfImage elf = ElfImage.parse(thawBinary());
        assertEquals(0x400000, elf.start());
        assertTrue(elf.segments().stream().anyMatch(s -> s.permission() == PagePermission.READ_EXECUTE));
        assertTrue(elf.segments().stream().anyMatch(s -> s.permission() == PagePermission.READ_WRITE));
        assertTrue(elf.phdrAddress() >= elf.start() && elf.phdrAddress() < elf.end());
    }

    @Test
    void refusesFilesThatAreNotThawExecutables() {
        assertEquals("not an ELF file", assertThrows(ElfImage.InvalidElfException.class,
                () -> ElfImage.parse("#!/bin/sh\n".getBytes())).getMessage());
        byte[] elf32 = new byte[64];
        elf32[0] = 0x7f; elf32[1] = 'E'; elf32[2] = 'L'; elf32[3] = 'F'; elf32[4] = 1; elf32[5] = 1;
        assertEquals("not a 64-bit little-endian ELF file",
                assertThrows(ElfImage.InvalidElfException.class, () -> ElfImage.parse(elf32)).getMessage());
    }

    /** Corrupted binaries get an InvalidElfException (or parse), never another exception. */
    @Test
    void survivesRandomCorruption() throws Exception {
        byte[] good = thawBinary();
        Random random = new Random(42);
        int refused = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] bad = good.clone();
            for (int k = 0; k < 1 + random.nextInt(8); k++) {
                bad[random.nextInt(Math.min(bad.length, 512))] = (byte) random.nextInt(256);
            }
            try {
                GuestImage.of(ElfImage.parse(bad), Manifest.parse("{\"name\": \"fuzz\", \"memory_mb\": 16}"), new byte[0], 0);
            } catch (ElfImage.InvalidElfException e) {
                refused++;
            }
        }
        assertTrue(refused > 100, "only " + refused + " corrupted headers refused");
        assertThrows(ElfImage.InvalidElfException.class, () -> ElfImage.parse(java.util.Arrays.copyOf(good, 100)));
    }
}
