package dev.thaw.invoker;

import java.util.Locale;

/** Thaw's settings outside a service's own configuration: a system property, else its environment variable. */
public final class Settings {
    private Settings() {}

    /**
     * The system property {@code property} ({@code thaw.compile-timeout}), else the environment
     * variable of the same name in upper case with underscores ({@code THAW_COMPILE_TIMEOUT}),
     * else null.
     */
    public static String get(String property) {
        String value = System.getProperty(property);
        return value != null ? value : System.getenv(property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
    }
}
