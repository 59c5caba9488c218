package dev.thaw.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CompilerFlagsTest {
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"-O", "-O0", "-O2", "-O3", "-Os", "-Og", "-Oz", "-Ofast", "-g", "-g3", "-ggdb",
            "-gdwarf-4", "-gz=zlib", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wformat=2",
            "-Werror=implicit-function-declaration", "-DNDEBUG", "-DGREETING=\"hi there\"", "-DF(x)=((x)+1)",
            "-UNDEBUG", "-std=c11", "-std=gnu2x", "-std=iso9899:1999", "-fno-strict-aliasing", "-fPIC",
            "-fstack-protector-strong", "-fvisibility=hidden", "-fmax-errors=5", "-fdiagnostics-color=never",
            "-ffunction-sections", "-march=x86-64-v2", "-mtune=generic", "-msse4.2", "-mavx2", "-mno-red-zone",
            "-Iinclude", "-I.", "-Ivendor/lib/include", "-lm", "-w", "-pedantic", "-pthread", "-s"})
    void codeGenerationAndDiagnosticOptionsAreAllowed(String flag) {
        assertNull(CompilerFlags.refusal(flag));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            // run another program, or load one into the compiler
            "--specs=x", "-specs=x", "--specs", "-wrapper", "-fplugin=/tmp/evil.so", "-fplugin-arg-x-y=z", "-B/tmp",
            "-fuse-ld=gold", "-flto", "-Wl,-plugin,/tmp/evil.so",
            // read a host file into the function
            "-include", "-imacros", "-I/etc", "-I../..", "-Isub/../../x", "-isystem", "-iquote", "-L/lib",
            "-Wl,-T,/etc/passwd", "-Wl,@/etc/passwd", "-Wa,-I/etc", "-Wp,-include,/etc/passwd", "@/etc/passwd",
            "-l:libc.a", "-Xlinker", "-Xassembler", "-Xpreprocessor", "--sysroot=/", "-nostdinc", "-fself-test=/",
            "-fprofile-use=/etc", "-fauto-profile=/etc/passwd", "-finput-charset=/x",
            // write a file the compile does not need
            "-o/tmp/x", "--output=/tmp/x", "-MF", "-MD", "-MMD", "-save-temps", "-fdump-tree-all",
            "-fstack-usage", "-fprofile-generate", "-ftest-coverage", "-fdiagnostics-format=json-file",
            "-fcallgraph-info", "-fsave-optimization-record", "-fopt-info-all=/tmp/x",
            // do something other than link an executable
            "-c", "-E", "-S", "-shared", "-v", "--help", "-###", "x.c", "/etc/passwd", "",
            // change the ABI libc and the library OS were compiled for
            "-m32", "-mx32", "-m16", "-mabi=ms", "-mno-sse", "-mno-sse2", "-msoft-float", "-mregparm=3",
            "-mrtd", "-mlong-double-64", "-mpreferred-stack-boundary=2", "-mcmodel=large",
            "-mstack-protector-guard=global", "-mtls-dialect=gnu2", "-mgeneral-regs-only", "-ffixed-rbx",
            "-fcall-used-rbx", "-fpcc-struct-return", "-fshort-enums", "-fpack-struct", "-fsanitize=address",
            // smuggle a second line into a macro definition
            "-DX=1\n#include \"/etc/passwd\"", "-march=/etc"})
    void optionsThatReachFilesProgramsOrTheAbiAreRefused(String flag) {
        String reason = CompilerFlags.refusal(flag);
        assertTrue(reason != null && reason.startsWith("is not an allowed compiler option (allowed: -O*"),
                flag + " -> " + reason);
    }

    @Test
    void aManifestWithARefusedFlagNamesItInItsError() {
        Manifest.InvalidManifestException e = assertThrows(Manifest.InvalidManifestException.class,
                () -> Manifest.parse("{\"name\": \"a\", \"cflags\": [\"-O2\", \"--specs=x\"]}"));
        assertEquals("cflags", e.field());
        assertTrue(e.getMessage().startsWith("manifest field 'cflags': '--specs=x' is not an allowed compiler option"),
                e.getMessage());
    }

    @Test
    void overlongFlagsAreRefused() {
        assertEquals("is longer than 1024 characters", CompilerFlags.refusal("-D" + "X".repeat(1100)));
    }
}
