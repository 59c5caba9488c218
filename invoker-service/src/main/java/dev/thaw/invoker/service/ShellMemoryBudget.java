package dev.thaw.invoker.service;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The setting {@code thaw.shell-memory-budget} / {@code --shell-memory-budget}: how much host
 * memory an invoker's warm shells may take (estimated per shell, see
 * {@link dev.thaw.invoker.ShellMemory}), as a share of the host's physical memory
 * ({@code 25%}, the default) or a size ({@code 512m}, {@code 4g}, {@code 1073741824}).
 */
public final class ShellMemoryBudget {
    public static final String DEFAULT = "25%";
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*([kmgt]i?b?|b)?");
    private static final Pattern SHARE = Pattern.compile("(\\d{1,3}(?:\\.\\d+)?)\\s*%");

    private ShellMemoryBudget() {}

    /** The budget in bytes that {@code text} names; a clear error naming the setting otherwise. */
    public static long parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        Matcher share = SHARE.matcher(t);
        if (share.matches()) {
            double percent = Double.parseDouble(share.group(1));
            if (percent <= 0 || percent > 100) {
                throw new IllegalArgumentException("shell memory budget: a share must be above 0% and at most 100%, got " + text);
            }
            return Math.max(1, (long) (physicalMemory() * percent / 100));
        }
        Matcher size = SIZE.matcher(t);
        if (!size.matches()) {
            throw new IllegalArgumentException("shell memory budget: expected a share of the host's memory (25%) or a size "
                    + "(512m, 4g, bytes), got '" + text + "'");
        }
        long n;
        try {
            n = Long.parseLong(size.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("shell memory budget: too large: " + text);
        }
        int shift = switch (size.group(2) == null ? "b" : size.group(2).substring(0, 1)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        if (n <= 0 || n > Long.MAX_VALUE >> shift) {
            throw new IllegalArgumentException("shell memory budget: must be positive and below 8 EiB, got " + text);
        }
        return n << shift;
    }

    /** The host's physical memory (the container's limit, where there is one). */
    static long physicalMemory() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }
}
