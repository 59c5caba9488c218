package dev.thaw.invoker.machine;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.thaw.invoker.kvm.GuestMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The walk that checks guest pages reads back what {@link PageTables#build} wrote. */
class PageTablesTest {
    private static final long MEMORY = 4L << 20;
    private static final long TABLES = 0x6000;

    @Test
    void theWalkFindsEachPagesPermission() throws Exception {
        PagePermission[] pages = PagePermission.values();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(MEMORY, 4096);
            long cr3 = PageTables.build(ram.asSlice(TABLES, PageTables.size(MEMORY)), TABLES, MEMORY,
                    page -> pages[(int) (page % pages.length)]);
            GuestMemory memory = new GuestMemory(ram);
            for (long page = 0; page < MEMORY / 4096; page++) {
                assertEquals(pages[(int) (page % pages.length)], PageTables.permission(memory, cr3, page * 4096 + 123),
                        "page " + page);
            }
            assertEquals(PagePermission.NONE, PageTables.permission(memory, cr3, MEMORY), "past the last table");
            assertEquals(PagePermission.NONE, PageTables.permission(memory, cr3, -4096), "non-canonical");
        }
    }

    @Test
    void everyLevelCounts() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(MEMORY, 4096);
            long cr3 = PageTables.build(ram.asSlice(TABLES, PageTables.size(MEMORY)), TABLES, MEMORY,
                    page -> PagePermission.READ_WRITE);
            GuestMemory memory = new GuestMemory(ram);
            long pdEntry = TABLES + 2 * 4096; // the page directory's first entry: the first 2 MiB
            ram.set(JAVA_LONG, pdEntry, ram.get(JAVA_LONG, pdEntry) & ~2L); // clear its writable bit
            assertEquals(PagePermission.READ, PageTables.permission(memory, cr3, 0x1000));
            assertEquals(PagePermission.READ_WRITE, PageTables.permission(memory, cr3, 2L << 20));
            ram.set(JAVA_LONG, pdEntry, ram.get(JAVA_LONG, pdEntry) & ~4L); // and its user bit
            assertEquals(PagePermission.NONE, PageTables.permission(memory, cr3, 0x1000));
            ram.set(JAVA_LONG, pdEntry, (2L << 20) | 0x87); // a 2 MiB page: present, writable, user, large
            assertEquals(PagePermission.READ_WRITE_EXECUTE, PageTables.permission(memory, cr3, 0x1000));
        }
    }
}
