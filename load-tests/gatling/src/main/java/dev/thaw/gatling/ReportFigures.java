package dev.thaw.gatling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prints a Gatling report's figures as {@code key=value} lines for ./bench gatling. Gatling
 * 3.15 writes no stats.json and its simulation.log is binary; the statistics table of the
 * report's index.html is the stable, documented place for them: one row per request or
 * group, cells {@code col-2} (count) to {@code col-14}. A report without that table is an
 * error, not a silent empty line.
 *
 * <pre>java ReportFigures.java REPORT_DIR PREFIX HEADLINE_ROW [ROW_NAME KEY]...</pre>
 *
 * prints {@code PREFIX_rps}, {@code _p50_ms}, {@code _p99_ms}, {@code _ok}, {@code _ko} of the
 * headline row (the group a simulation measures, its warm-up left out), and the same under
 * {@code PREFIX_KEY} for each other named row (a group or a request).
 * Run with Java's source launcher: it needs nothing but the JDK.
 */
public final class ReportFigures {
    private static final Pattern ROW = Pattern.compile("<tr id=\"[^\"]*\"[^>]*>(.*?)</tr>", Pattern.DOTALL);
    private static final Pattern NAME = Pattern.compile("class=\"ellipsed-name\">([^<]*)</span>");
    private static final Pattern CELL = Pattern.compile("<td class=\"value [a-z]+ col-(\\d+)\">([^<]*)</td>");

    private ReportFigures() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || args.length % 2 != 1) {
            System.err.println("usage: ReportFigures REPORT_DIR PREFIX HEADLINE_ROW [ROW_NAME KEY]...");
            System.exit(2);
        }
        Path index = Path.of(args[0], "index.html");
        Map<String, Map<Integer, String>> rows = rows(Files.readString(index));
        print(args[1], args[2], rows, index);
        for (int i = 3; i < args.length; i += 2) {
            print(args[1] + "_" + args[i + 1], args[i], rows, index);
        }
    }

    /** Each row of the statistics table: its name, and its cells by column number. */
    static Map<String, Map<Integer, String>> rows(String html) {
        Map<String, Map<Integer, String>> rows = new LinkedHashMap<>();
        Matcher row = ROW.matcher(html);
        while (row.find()) {
            Matcher name = NAME.matcher(row.group(1));
            if (!name.find()) {
                continue;
            }
            Map<Integer, String> cells = new LinkedHashMap<>();
            Matcher cell = CELL.matcher(row.group(1));
            while (cell.find()) {
                cells.put(Integer.parseInt(cell.group(1)), cell.group(2).strip());
            }
            rows.putIfAbsent(unescape(name.group(1).strip()), cells);
        }
        return rows;
    }

    private static void print(String prefix, String rowName, Map<String, Map<Integer, String>> rows, Path index) {
        Map<Integer, String> cells = rows.get(rowName);
        if (cells == null || !cells.keySet().containsAll(List.of(3, 4, 6, 8, 11))) {
            throw new IllegalStateException("no statistics row '" + rowName + "' with its cells in " + index
                    + " (rows found: " + rows.keySet() + ")");
        }
        System.out.println(prefix + "_rps=" + cells.get(6));
        System.out.println(prefix + "_p50_ms=" + cells.get(8));
        System.out.println(prefix + "_p99_ms=" + cells.get(11));
        System.out.println(prefix + "_ok=" + cells.get(3));
        System.out.println(prefix + "_ko=" + cells.get(4));
    }

    private static String unescape(String html) {
        return html.replace("&gt;", ">").replace("&lt;", "<").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    }
}
