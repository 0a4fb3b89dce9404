package org.memproflimits.examples;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small program with a few allocation sites of different weights, to try the tools on (see
 * tools/README.md): it parses CSV lines, indexes the records, renders them as JSON and keeps a
 * bounded cache of recent records.
 *
 * <pre>
 * AllocatingApp [ROUNDS]    run ROUNDS rounds (default 40, about 0.6 GB allocated), then exit
 * AllocatingApp forever     never stop by itself (for run --alloc-limit or --timeout)
 * AllocatingApp leak        keep every record, so that the heap only grows (run --heap-limit)
 * </pre>
 */
public final class AllocatingApp {
    private static volatile Object sink;

    private AllocatingApp() {
    }

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "40";
        boolean forever = mode.equals("forever") || mode.equals("leak");
        int rounds = forever ? Integer.MAX_VALUE : Integer.parseInt(mode);
        Map<Integer, String[]> cache = mode.equals("leak") ? new HashMap<>() : new Lru(20_000);
        long records = 0;
        for (int round = 0; round < rounds; round++) {
            List<String> lines = readLines(round, 20_000);
            List<String[]> parsed = parse(lines);
            Map<String, List<Integer>> index = index(parsed);
            sink = render(parsed);
            for (int i = 0; i < parsed.size(); i++) {
                cache.put(round * parsed.size() + i, parsed.get(i));
            }
            records += parsed.size();
            sink = index;
        }
        System.out.println("AllocatingApp: " + records + " records, " + cache.size() + " cached");
    }

    /** Lines of CSV, as if read from a file. */
    static List<String> readLines(int round, int n) {
        List<String> lines = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            lines.add("id" + (round * n + i) + ",user" + (i % 997) + ",item" + (i % 113) + "," + (i * 31 % 1000));
        }
        return lines;
    }

    static List<String[]> parse(List<String> lines) {
        List<String[]> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            out.add(line.split(","));
        }
        return out;
    }

    static Map<String, List<Integer>> index(List<String[]> records) {
        Map<String, List<Integer>> byUser = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            byUser.computeIfAbsent(records.get(i)[1], k -> new ArrayList<>()).add(i);
        }
        return byUser;
    }

    static String render(List<String[]> records) {
        StringBuilder json = new StringBuilder("[");
        for (String[] r : records) {
            json.append("{\"id\":\"").append(r[0]).append("\",\"user\":\"").append(r[1])
                    .append("\",\"item\":\"").append(r[2]).append("\",\"price\":").append(r[3]).append("},");
        }
        return json.append(']').toString();
    }

    /** A cache of the most recent records. */
    private static final class Lru extends LinkedHashMap<Integer, String[]> {
        private static final long serialVersionUID = 1L;
        private final int capacity;

        Lru(int capacity) {
            super(16, 0.75f, true);
            this.capacity = capacity;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, String[]> eldest) {
            return size() > capacity;
        }
    }
}
