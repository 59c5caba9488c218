package dev.thaw.protocol;

import java.util.regex.Pattern;

/**
 * The rule for function names, the one definition the CLI, the gateway, the registry and the
 * manifest check against: 1 to 63 characters of a-z, 0-9 and '-', starting with a letter. A
 * valid name is also a safe file name, Redis key part and URL path segment.
 */
public final class FunctionName {
    /** The rule as a regular expression. */
    public static final Pattern PATTERN = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    /** The rule in words, for error messages. */
    public static final String RULE = "1 to 63 characters of a-z, 0-9 and '-', starting with a letter";

    private FunctionName() {}

    public static boolean isValid(String name) {
        return name != null && PATTERN.matcher(name).matches();
    }

    /** Returns {@code name} if it is valid, else throws IllegalArgumentException saying why. */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("invalid function name " + (name == null ? "null" : "'" + name + "'")
                    + ": it must be " + RULE);
        }
        return name;
    }
}
