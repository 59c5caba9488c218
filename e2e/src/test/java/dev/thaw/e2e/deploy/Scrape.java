package dev.thaw.e2e.deploy;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A Prometheus text exposition (what /q/metrics answers, in the 0.0.4 text format or
 * OpenMetrics): the sample names it holds, each with the label names its samples carry.
 * The names are those Prometheus stores and a query reads (NAME_bucket, NAME_total, ...).
 */
public final class Scrape {
    private Scrape() {}

    public static Map<String, Set<String>> labelsBySeries(String exposition) {
        Map<String, Set<String>> series = new TreeMap<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            int end = brace >= 0 && (space < 0 || brace < space) ? brace : space;
            Set<String> labels = series.computeIfAbsent(line.substring(0, end < 0 ? line.length() : end), k -> new TreeSet<>());
            if (end == brace && brace >= 0) {
                readLabels(line, brace, labels);
            }
        }
        return series;
    }

    /** name="value",name="value"}: label values are quoted, with \" and \\ escaped. */
    private static void readLabels(String line, int open, Set<String> labels) {
        int i = open + 1;
        while (i < line.length() && line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            labels.add(line.substring(i, eq).strip());
            i = eq + 2; // past ="
            while (line.charAt(i) != '"') {
                i += line.charAt(i) == '\\' ? 2 : 1;
            }
            i++;
            if (i < line.length() && line.charAt(i) == ',') {
                i++;
            }
        }
    }
}
