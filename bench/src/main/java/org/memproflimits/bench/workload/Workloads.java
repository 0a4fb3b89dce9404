package org.memproflimits.bench.workload;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The allocation-heavy workloads of the overhead suite. Each call does the same deterministic
 * work (fixed seeds) and returns a checksum that depends on all of it, so that nothing can be
 * removed by the JIT. Each allocates a few MB in about a millisecond: the allocation rate of the
 * suite is in the GB/s, the regime where a heap sampler costs most.
 */
public final class Workloads {
    private Workloads() {
    }

    /** A graph node: small objects with references, the shape of ASTs and domain models. */
    static final class Node {
        final int id;
        final String label;
        final long[] payload;
        Node[] edges;
        int degree;

        Node(int id, String label, int payloadSize) {
            this.id = id;
            this.label = label;
            this.payload = new long[payloadSize];
        }

        void link(Node other) {
            if (edges == null) {
                edges = new Node[4];
            } else if (degree == edges.length) {
                Node[] grown = new Node[degree * 2];
                System.arraycopy(edges, 0, grown, 0, degree);
                edges = grown;
            }
            edges[degree++] = other;
        }
    }

    /** Builds a random graph of 8 000 nodes and 32 000 edges, then walks it breadth first. */
    public static long objectGraph() {
        SplittableRandom rnd = new SplittableRandom(42);
        int n = 8_000;
        Node[] nodes = new Node[n];
        for (int k = 0; k < n; k++) {
            nodes[k] = new Node(k, "n" + k, 2 + (k & 7));
            nodes[k].payload[0] = rnd.nextLong();
        }
        for (int e = 0; e < 4 * n; e++) {
            nodes[rnd.nextInt(n)].link(nodes[rnd.nextInt(n)]);
        }
        boolean[] seen = new boolean[n];
        ArrayDeque<Node> queue = new ArrayDeque<>();
        long sum = 0;
        for (int root = 0; root < n; root++) {
            if (seen[root]) {
                continue;
            }
            seen[root] = true;
            queue.add(nodes[root]);
            while (!queue.isEmpty()) {
                Node x = queue.poll();
                sum = sum * 31 + x.payload[0] + x.label.length();
                for (int d = 0; d < x.degree; d++) {
                    Node y = x.edges[d];
                    if (!seen[y.id]) {
                        seen[y.id] = true;
                        queue.add(y);
                    }
                }
            }
        }
        return sum;
    }

    /** String building, concatenation, splitting, case mapping and joining. */
    public static long strings() {
        long h = 0;
        StringBuilder line = new StringBuilder();
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < 6_000; k++) {
            String item = "item-" + k + ":" + (k * 31 % 977) + ":" + (k % 3 == 0 ? "alpha" : "beta");
            String[] parts = item.split(":");
            String upper = parts[2].toUpperCase();
            line.append(parts[0]).append('=').append(upper).append(';');
            if (line.length() > 200) {
                lines.add(line.toString());
                line.setLength(0);
            }
            h += parts[1].hashCode() + upper.length();
        }
        String joined = String.join("\n", lines);
        for (String l : joined.split("\n")) {
            h = h * 31 + l.replace(';', ',').trim().hashCode();
        }
        return h;
    }

    /** Maps, sets, sorted maps, sorting boxed numbers, and a stream pipeline. */
    public static long collections() {
        SplittableRandom rnd = new SplittableRandom(7);
        Map<String, List<Integer>> groups = new HashMap<>();
        List<Integer> all = new ArrayList<>();
        Set<Long> distinct = new HashSet<>();
        for (int k = 0; k < 20_000; k++) {
            int v = rnd.nextInt(1_000_000);
            all.add(v);
            distinct.add((long) (v % 5_000));
            groups.computeIfAbsent("g" + (v % 500), g -> new ArrayList<>()).add(v);
        }
        Collections.sort(all);
        TreeMap<Integer, String> tree = new TreeMap<>();
        for (int k = 0; k < all.size(); k += 4) {
            tree.put(all.get(k), "v" + k);
        }
        Map<Boolean, List<Integer>> parts = all.stream()
                .filter(x -> x % 3 != 0)
                .map(x -> x / 7)
                .collect(Collectors.partitioningBy(x -> (x & 1) == 0));
        long h = groups.size() * 31L + distinct.size();
        for (List<Integer> g : groups.values()) {
            h += g.get(g.size() - 1);
        }
        h += tree.firstKey() + tree.lastKey() + parts.get(true).size();
        return h;
    }

    /** A document of 600 records, the input of {@link #json()}. */
    public static Map<String, Object> document() {
        SplittableRandom rnd = new SplittableRandom(3);
        List<Object> records = new ArrayList<>();
        for (int k = 0; k < 600; k++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", (long) k);
            r.put("name", "user \"" + k + "\"\twith\\escapes");
            r.put("score", rnd.nextDouble() * 100);
            r.put("active", rnd.nextBoolean());
            List<Object> tags = new ArrayList<>();
            for (int t = 0; t < 1 + (k % 5); t++) {
                tags.add("tag" + rnd.nextInt(50));
            }
            r.put("tags", tags);
            Map<String, Object> address = new LinkedHashMap<>();
            address.put("street", k + " Main Street");
            address.put("zip", (long) rnd.nextInt(99_999));
            address.put("geo", List.of(rnd.nextDouble(), rnd.nextDouble()));
            r.put("address", address);
            r.put("note", k % 7 == 0 ? null : "n" + k);
            records.add(r);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("version", 3L);
        doc.put("records", records);
        return doc;
    }

    /** Serializes {@code doc}, parses the text back, transforms it and serializes it again. */
    @SuppressWarnings("unchecked")
    public static long json(Map<String, Object> doc) {
        String text = Json.write(doc);
        Map<String, Object> parsed = (Map<String, Object>) Json.parse(text);
        List<Object> records = (List<Object>) parsed.get("records");
        long h = text.length();
        List<Object> out = new ArrayList<>(records.size());
        for (Object o : records) {
            Map<String, Object> r = (Map<String, Object>) o;
            Map<String, Object> slim = new LinkedHashMap<>();
            slim.put("id", r.get("id"));
            slim.put("tagCount", (long) ((List<Object>) r.get("tags")).size());
            slim.put("zip", ((Map<String, Object>) r.get("address")).get("zip"));
            out.add(slim);
            h = h * 31 + ((Long) r.get("id"));
        }
        return h + Json.write(out).length();
    }
}
