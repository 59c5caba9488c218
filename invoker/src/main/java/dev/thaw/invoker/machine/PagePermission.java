package dev.thaw.invoker.machine;

/** What CPL3 guest code may do with a page. */
public enum PagePermission {
    /** Not mapped: any access faults (the null page, guard pages). */
    NONE,
    READ,
    READ_WRITE,
    READ_EXECUTE,
    READ_WRITE_EXECUTE;

    public PagePermission union(PagePermission other) {
        boolean w = writable() || other.writable();
        boolean x = executable() || other.executable();
        if (this == NONE) {
            return other;
        }
        if (other == NONE) {
            return this;
        }
        return w ? (x ? READ_WRITE_EXECUTE : READ_WRITE) : (x ? READ_EXECUTE : READ);
    }

    public boolean writable() {
        return this == READ_WRITE || this == READ_WRITE_EXECUTE;
    }

    public boolean executable() {
        return this == READ_EXECUTE || this == READ_WRITE_EXECUTE;
    }
}
