package org.memproflimits.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A CSV file with a header line, read into rows of named fields (quotes handled). */
final class Table {
    final List<Map<String, String>> rows = new ArrayList<>();

    static Table read(Path file) throws IOException {
        Table t = new Table();
        if (!Files.exists(file)) {
            return t;
        }
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty()) {
            return t;
        }
        List<String> header = split(lines.get(0));
        for (int k = 1; k < lines.size(); k++) {
            String line = lines.get(k);
            if (line.isBlank() || line.equals(lines.get(0))) {
                continue;
            }
            List<String> f = split(line);
            Map<String, String> row = new HashMap<>();
            for (int c = 0; c < header.size(); c++) {
                row.put(header.get(c), c < f.size() ? f.get(c) : "");
            }
            t.rows.add(row);
        }
        return t;
    }

    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int k = 0; k < line.length(); k++) {
            char c = line.charAt(k);
            if (quoted) {
                if (c == '"') {
                    if (k + 1 < line.length() && line.charAt(k + 1) == '"') {
                        cur.append('"');
                        k++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
