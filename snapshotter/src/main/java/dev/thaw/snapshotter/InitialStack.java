package dev.thaw.snapshotter;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The process stack Linux would give a static executable, so that musl's unmodified crt1
 * starts the function: argc, argv, envp and the auxiliary vector, with the strings and the
 * AT_RANDOM bytes above them, the stack pointer 16-byte aligned at argc.
 */
final class InitialStack {
    private static final long AT_NULL = 0;
    private static final long AT_PHDR = 3;
    private static final long AT_PHENT = 4;
    private static final long AT_PHNUM = 5;
    private static final long AT_PAGESZ = 6;
    private static final long AT_ENTRY = 9;
    private static final long AT_UID = 11;
    private static final long AT_EUID = 12;
    private static final long AT_GID = 13;
    private static final long AT_EGID = 14;
    private static final long AT_PLATFORM = 15;
    private static final long AT_HWCAP = 16;
    private static final long AT_CLKTCK = 17;
    private static final long AT_SECURE = 23;
    private static final long AT_RANDOM = 25;
    private static final long AT_EXECFN = 31;

    /** The bytes to place at {@code address}, which is also the initial stack pointer. */
    record Built(long address, byte[] bytes) {}

    private InitialStack() {}

    static Built build(long top, String program, List<String> args, Map<String, String> env, ElfImage elf,
                       byte[] random16) {
        // Strings and random bytes go at the top, then the vectors below them.
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        List<Long> stringOffsets = new ArrayList<>();
        List<String> all = new ArrayList<>();
        all.add(program);
        all.addAll(args);
        env.forEach((k, v) -> all.add(k + "=" + v));
        all.add("x86_64");
        for (String s : all) {
            stringOffsets.add((long) strings.size());
            strings.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            strings.write(0);
        }
        long randomOffset = strings.size();
        strings.writeBytes(random16);
        byte[] stringBytes = strings.toByteArray();
        long stringsAt = (top - stringBytes.length) & -16L;

        List<Long> words = new ArrayList<>();
        int argc = 1 + args.size();
        words.add((long) argc);
        for (int i = 0; i < argc; i++) {
            words.add(stringsAt + stringOffsets.get(i));
        }
        words.add(0L);
        for (int i = 0; i < env.size(); i++) {
            words.add(stringsAt + stringOffsets.get(argc + i));
        }
        words.add(0L);
        long[][] aux = {
            {AT_PHDR, elf.phdrAddress()}, {AT_PHENT, elf.phdrEntrySize()}, {AT_PHNUM, elf.phdrCount()},
            {AT_PAGESZ, 4096}, {AT_ENTRY, elf.entry()}, {AT_UID, 0}, {AT_EUID, 0}, {AT_GID, 0}, {AT_EGID, 0},
            {AT_SECURE, 0}, {AT_HWCAP, 0}, {AT_CLKTCK, 100}, {AT_RANDOM, stringsAt + randomOffset},
            {AT_PLATFORM, stringsAt + stringOffsets.get(all.size() - 1)},
            {AT_EXECFN, stringsAt + stringOffsets.get(0)}, {AT_NULL, 0},
        };
        for (long[] pair : aux) {
            if (pair[0] == AT_PHDR && pair[1] < 0) {
                continue; // musl then finds no TLS template: only an issue for binaries without headers in memory
            }
            words.add(pair[0]);
            words.add(pair[1]);
        }
        long vectorBytes = words.size() * 8L;
        long sp = (stringsAt - vectorBytes) & -16L;
        ByteBuffer b = ByteBuffer.allocate((int) (top - sp)).order(ByteOrder.LITTLE_ENDIAN);
        for (long w : words) {
            b.putLong(w);
        }
        b.position((int) (stringsAt - sp));
        b.put(stringBytes);
        return new Built(sp, b.array());
    }
}
