package dev.thaw.registry;

import java.util.regex.Pattern;

/** The rule for function names; a valid name is also a safe file name and Redis key part. */
final class FunctionName {
    private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    private FunctionName() {}

    static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches();
    }

    /** Returns {@code name} if it is valid, else throws IllegalArgumentException saying why. */
    static String require(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("invalid function name " + (name == null ? "null" : '"' + name + '"')
                    + ": it must be 1 to 63 characters of a-z, 0-9 and '-', starting with a letter");
        }
        return name;
    }
}
