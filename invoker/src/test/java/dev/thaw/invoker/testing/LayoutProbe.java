package dev.thaw.invoker.testing;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.UnionLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Turns Java struct layouts into C statements that print every named field's offset and
 * size, and into the values Java expects, so a test can compare both sides field by field.
 */
public final class LayoutProbe {
    private final StringBuilder c = new StringBuilder();
    private final Map<String, Long> expected = new LinkedHashMap<>();

    /**
     * Adds {@code layout}, which mirrors C's {@code struct cName}. Path elements listed in
     * {@code anonymous} are unions that C declares without a name.
     */
    public LayoutProbe struct(GroupLayout layout, String cName, boolean compareSize, Set<String> anonymous) {
        if (compareSize) {
            line("size." + cName, "sizeof(struct " + cName + ")", layout.byteSize());
        }
        walk(layout, cName, "", "", 0, anonymous);
        return this;
    }

    /** Adds a constant: C expression and the Java value. */
    public LayoutProbe constant(String name, String cExpression, long javaValue) {
        line("const." + name, "(unsigned long long)(" + cExpression + ")", javaValue);
        return this;
    }

    private void walk(GroupLayout group, String struct, String javaPath, String cPath, long base, Set<String> anonymous) {
        long offset = base;
        for (MemoryLayout member : group.memberLayouts()) {
            long at = group instanceof UnionLayout ? base : offset;
            offset += member.byteSize();
            if (member instanceof PaddingLayout || member.name().isEmpty()) {
                continue;
            }
            String name = member.name().get();
            String jp = javaPath.isEmpty() ? name : javaPath + "." + name;
            String cp = anonymous.contains(name) ? cPath : (cPath.isEmpty() ? name : cPath + "." + name);
            if (!anonymous.contains(name)) {
                line("offset." + struct + "." + jp, "offsetof(struct " + struct + ", " + cp + ")", at);
                line("sizeof." + struct + "." + jp, "sizeof(((struct " + struct + " *)0)->" + cp + ")", member.byteSize());
            }
            if (member instanceof GroupLayout g) {
                walk(g, struct, jp, cp, at, anonymous);
            }
        }
    }

    private void line(String key, String cExpression, long javaValue) {
        c.append("    printf(\"%s %llu\\n\", \"").append(key).append("\", (unsigned long long)(").append(cExpression).append("));\n");
        expected.put(key, javaValue);
    }

    public String program(String... includes) {
        StringBuilder p = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n");
        for (String inc : includes) {
            p.append("#include <").append(inc).append(">\n");
        }
        return p.append("int main(void) {\n").append(c).append("    return 0;\n}\n").toString();
    }

    public Map<String, Long> expected() {
        return expected;
    }

    /** One line per field or constant where Java and gcc disagree; empty when all agree. */
    public String mismatches(Map<String, Long> gcc) {
        StringBuilder out = new StringBuilder();
        expected.forEach((key, java) -> {
            Long c = gcc.get(key);
            if (!java.equals(c)) {
                out.append(key).append(": Java ").append(java).append(", gcc ").append(c).append('\n');
            }
        });
        return out.toString();
    }
}
