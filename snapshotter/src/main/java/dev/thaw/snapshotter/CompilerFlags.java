package dev.thaw.snapshotter;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The compiler options a manifest's {@code cflags} may contain: an allowlist, because gcc has
 * too many spellings for a denylist to hold ({@code --specs=} runs any program as the linker,
 * {@code --output=/abs}, {@code -MF /abs}, {@code -Wl,-T,/etc/x}, {@code -fplugin=}). What is
 * allowed changes code generation or diagnostics only; nothing names a file outside the
 * bundle or changes the ABI the library OS and libc were built for.
 */
public final class CompilerFlags {
    /** Said in every refusal, so a user knows what to use instead. */
    private static final String ALLOWED = "-O*, -g*, -W* (not -Wl, -Wa, -Wp), -D*, -U*, -std=*, -f* and -m* "
            + "(not those naming files or changing the ABI), -I<directory in the bundle>, -l<library>, "
            + "-w, -pedantic, -pedantic-errors, -ansi, -pthread, -pipe, -s";

    private static final int MAX_LENGTH = 1024;

    /** Option values never contain a path or a shell-special character, only names and numbers. */
    private static final String VALUE = "(=[A-Za-z0-9_.,:+-]*)?";
    private static final Pattern OPTIMIZE = Pattern.compile("-O([0-3sgz]|fast)?");
    private static final Pattern DEBUG = Pattern.compile("-g[a-z0-9-]*" + VALUE);
    private static final Pattern WARNING = Pattern.compile("-W[a-z0-9][a-z0-9-]*" + VALUE);
    private static final Pattern DEFINE = Pattern.compile("-D[A-Za-z_][^\\x00-\\x1f\\x7f]*");
    private static final Pattern UNDEFINE = Pattern.compile("-U[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern STANDARD = Pattern.compile("-std=[a-z0-9+:]+");
    private static final Pattern FEATURE = Pattern.compile("-f([A-Za-z0-9][A-Za-z0-9-]*)" + VALUE);
    private static final Pattern MACHINE = Pattern.compile("-m([a-z0-9][a-z0-9.-]*)" + VALUE);
    private static final Pattern INCLUDE_DIR = Pattern.compile("-I[A-Za-z0-9_.][A-Za-z0-9_./-]*");
    private static final Pattern LIBRARY = Pattern.compile("-l[A-Za-z0-9_+-]+");
    private static final Set<String> PLAIN = Set.of("-w", "-pedantic", "-pedantic-errors", "-ansi", "-pthread",
            "-pipe", "-s");

    /**
     * -f options that read or write files (plugins, profiles, dumps, reports, character-set
     * modules, another linker), need a runtime the sysroot does not have, or change the ABI.
     * Prefixes of the option's name, with or without "no-".
     */
    private static final List<String> FEATURES_REFUSED = List.of("plugin", "profile", "auto-profile", "dump",
            "self-test", "save-optimization-record", "stack-usage", "callgraph-info", "test-coverage", "coverage",
            "branch-probabilities", "compare-debug", "opt-info", "use-ld", "deps", "diagnostics-format",
            "exec-charset", "input-charset", "wide-exec-charset", "sanitize", "openmp", "openacc", "lto",
            "split-stack", "fixed-", "call-used-", "call-saved-", "pcc-struct-return", "reg-struct-return",
            "short-enums", "short-wchar", "pack-struct", "leading-underscore");

    /**
     * -m options that change the ABI the library OS and musl were compiled for: word size,
     * calling convention, floating point in registers, stack alignment, TLS and code model.
     * Exact names, then prefixes, including any "no-".
     */
    private static final Set<String> MACHINE_REFUSED = Set.of("32", "16", "x32", "rtd", "sseregparm", "no-sse",
            "no-sse2", "soft-float", "no-80387", "no-fp-ret-in-387", "align-double", "ms-bitfields",
            "general-regs-only", "fentry", "record-mcount", "nop-mcount", "force-drap");
    private static final List<String> MACHINE_REFUSED_PREFIXES = List.of("abi", "regparm", "long-double",
            "preferred-stack-boundary", "incoming-stack-boundary", "cmodel", "stack-protector-guard",
            "tls-dialect", "address-mode", "large-data-threshold", "call-ms2sysv-xlogues", "dump-tune-features");

    private CompilerFlags() {}

    /** Why {@code flag} is refused, or null when it is allowed. */
    public static String refusal(String flag) {
        if (flag.length() > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        if (allowed(flag)) {
            return null;
        }
        return "is not an allowed compiler option (allowed: " + ALLOWED + ")";
    }

    private static boolean allowed(String flag) {
        if (PLAIN.contains(flag) || OPTIMIZE.matcher(flag).matches() || DEBUG.matcher(flag).matches()
                || WARNING.matcher(flag).matches() || DEFINE.matcher(flag).matches()
                || UNDEFINE.matcher(flag).matches() || STANDARD.matcher(flag).matches()
                || LIBRARY.matcher(flag).matches()) {
            return true;
        }
        if (INCLUDE_DIR.matcher(flag).matches()) {
            return !flag.contains("..");
        }
        Matcher feature = FEATURE.matcher(flag);
        if (feature.matches()) {
            String name = feature.group(1);
            return !startsWithAny(name.startsWith("no-") ? name.substring(3) : name, FEATURES_REFUSED);
        }
        Matcher machine = MACHINE.matcher(flag);
        if (machine.matches()) {
            String name = machine.group(1);
            String bare = name.startsWith("no-") ? name.substring(3) : name;
            return !MACHINE_REFUSED.contains(name) && !startsWithAny(bare, MACHINE_REFUSED_PREFIXES);
        }
        return false;
    }

    private static boolean startsWithAny(String name, List<String> prefixes) {
        for (String prefix : prefixes) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
