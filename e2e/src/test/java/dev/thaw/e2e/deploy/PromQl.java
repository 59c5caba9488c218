package dev.thaw.e2e.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The series a PromQL expression reads: its metric names (as Prometheus stores them, so a
 * histogram is read as NAME_bucket, NAME_sum or NAME_count and a counter as NAME_total, the
 * names of the samples a scrape shows) with the labels its matchers name, and the labels it
 * groups by. Not a full parser: it knows what is not a metric name (functions, aggregation
 * and set operators, keywords, numbers and durations, strings, ranges, Grafana's $variables).
 */
public final class PromQl {
    /** A metric read by an expression, with the labels its matchers ({label="..."}) use. */
    public record Selector(String metric, Set<String> labels) {}

    /** The series and grouping labels of one expression. */
    public record Reads(List<Selector> selectors, Set<String> groupingLabels) {}

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "atan2", "inf", "nan", "Inf", "NaN");
    private static final Set<String> LABEL_LISTS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    private static final Set<String> GROUPING = Set.of("by", "without");
    /** Grafana's templating function, not PromQL: label_values(metric, label) or label_values(label). */
    private static final Pattern LABEL_VALUES = Pattern.compile(
            "^\\s*label_values\\(\\s*(?:([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s*,\\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)\\s*$");

    private PromQl() {}

    /** What a Grafana variable query reads: label_values(metric, label) is metric with label. */
    public static Reads grafanaVariable(String query) {
        Matcher m = LABEL_VALUES.matcher(query);
        if (!m.matches()) {
            return read(query);
        }
        if (m.group(1) == null) {
            throw new IllegalArgumentException("label_values(" + m.group(3) + ") reads every metric; name one: " + query);
        }
        Reads inner = read(m.group(1) + (m.group(2) == null ? "" : m.group(2)));
        Set<String> labels = new LinkedHashSet<>(inner.selectors().getFirst().labels());
        labels.add(m.group(3));
        return new Reads(List.of(new Selector(m.group(1), labels)), Set.of());
    }

    public static Reads read(String expr) {
        List<Selector> selectors = new ArrayList<>();
        Set<String> grouping = new LinkedHashSet<>();
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
            } else if (c == '$') {
                i = skipVariable(expr, i + 1);
            } else if (c == '[') {
                i = skipPast(expr, i, ']');
            } else if (c == '{') {
                // A selector without a metric name in front: {__name__="x", ...}
                Set<String> labels = new LinkedHashSet<>();
                Matchers m = matchers(expr, i, labels);
                if (m.name() == null) {
                    throw new IllegalArgumentException("a selector without a metric name: " + expr);
                }
                selectors.add(new Selector(m.name(), labels));
                i = m.end();
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
                while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.' || expr.charAt(i) == '_')) {
                    i++; // 0.99, 1e3, 0x1f, 5m, 1h30m
                }
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_' || expr.charAt(i) == ':')) {
                    i++;
                }
                String word = expr.substring(start, i);
                int next = skipSpaces(expr, i);
                char after = next < n ? expr.charAt(next) : '\0';
                if (LABEL_LISTS.contains(word)) {
                    if (after == '(') {
                        int close = expr.indexOf(')', next);
                        for (String label : expr.substring(next + 1, close).split(",")) {
                            if (!label.isBlank()) {
                                grouping.add(label.strip());
                            }
                        }
                        i = close + 1;
                    }
                } else if (KEYWORDS.contains(word) || after == '(' || GROUPING.contains(wordAt(expr, next))) {
                    // a function, an aggregation (sum by (x) (...)), or a keyword
                } else {
                    Set<String> labels = new LinkedHashSet<>();
                    if (after == '{') {
                        i = matchers(expr, next, labels).end();
                    }
                    selectors.add(new Selector(word, labels));
                }
            } else {
                i++;
            }
        }
        return new Reads(selectors, grouping);
    }

    /** The identifier at {@code i}, or "" (sum by (le) (...): the word before by/without is an operator). */
    private static String wordAt(String expr, int i) {
        int end = i;
        while (end < expr.length() && (Character.isLetterOrDigit(expr.charAt(end)) || expr.charAt(end) == '_')) {
            end++;
        }
        return expr.substring(i, end);
    }

    private record Matchers(String name, int end) {}

    /**
     * Reads the matchers at {@code open} ('{'), adding their label names; returns the metric
     * name a __name__="..." matcher sets (or null) and the index after the closing '}'.
     */
    private static Matchers matchers(String expr, int open, Set<String> labels) {
        String name = null;
        int i = skipSpaces(expr, open + 1);
        while (i < expr.length() && expr.charAt(i) != '}') {
            int start = i;
            while (i < expr.length() && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_')) {
                i++;
            }
            String label = expr.substring(start, i);
            i = skipSpaces(expr, i);
            int opStart = i;
            while (i < expr.length() && "=!~".indexOf(expr.charAt(i)) >= 0) {
                i++;
            }
            String op = expr.substring(opStart, i);
            i = skipSpaces(expr, i);
            if (label.isEmpty() || op.isEmpty() || i >= expr.length() || "\"'`".indexOf(expr.charAt(i)) < 0) {
                throw new IllegalArgumentException("cannot read the matcher at " + start + " of: " + expr);
            }
            int valueEnd = skipString(expr, i);
            if (label.equals("__name__") && op.equals("=")) {
                name = expr.substring(i + 1, valueEnd - 1);
            } else {
                labels.add(label);
            }
            i = skipSpaces(expr, valueEnd);
            if (i < expr.length() && expr.charAt(i) == ',') {
                i = skipSpaces(expr, i + 1);
            }
        }
        if (i >= expr.length()) {
            throw new IllegalArgumentException("no '}' after " + open + " in: " + expr);
        }
        return new Matchers(name, i + 1);
    }

    private static int skipString(String expr, int open) {
        char quote = expr.charAt(open);
        int i = open + 1;
        while (i < expr.length() && expr.charAt(i) != quote) {
            i += expr.charAt(i) == '\\' && quote != '`' ? 2 : 1;
        }
        if (i >= expr.length()) {
            throw new IllegalArgumentException("an unterminated string at " + open + " of: " + expr);
        }
        return i + 1;
    }

    /** $name, ${name} or ${name:format}: a Grafana variable (filled in before the query reaches Prometheus). */
    private static int skipVariable(String expr, int i) {
        if (i < expr.length() && expr.charAt(i) == '{') {
            return skipPast(expr, i, '}');
        }
        while (i < expr.length() && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_')) {
            i++;
        }
        return i;
    }

    private static int skipPast(String expr, int open, char close) {
        int at = expr.indexOf(close, open);
        if (at < 0) {
            throw new IllegalArgumentException("no '" + close + "' after " + open + " in: " + expr);
        }
        return at + 1;
    }

    private static int skipSpaces(String expr, int i) {
        while (i < expr.length() && Character.isWhitespace(expr.charAt(i))) {
            i++;
        }
        return i;
    }
}
