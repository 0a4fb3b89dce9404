package org.memproflimits;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bytes and sample counts by (stack, allocated class), shared by {@link AllocationProfile} and
 * {@link LiveHeapProfile}. Written from allocating threads inside the sample callback and, for
 * frees, from the profile's cleaner thread; read by any thread.
 *
 * <p>Cost per sample: one small key object and a hash lookup (hashes of the frames are cached
 * by their strings); a new site also creates its counters. {@link #add} holds no lock that code
 * outside the callback could be waiting for: the map locks a bin only while creating a site,
 * and the callback is not sampled, so it cannot re-enter. {@link Counters#add} is lock-free, so
 * the cleaner thread may be sampled while it subtracts.
 */
final class SiteTable {
    private final ConcurrentHashMap<Key, Counters> sites = new ConcurrentHashMap<>();

    /** The counters of one site. */
    static final class Counters {
        final LongAdder bytes = new LongAdder();
        final LongAdder samples = new LongAdder();

        void add(long weight, long count) {
            bytes.add(weight);
            samples.add(count);
        }
    }

    /** Stack and type name, with the hash computed once. */
    private static final class Key {
        final List<StackTraceElement> stack;
        final String type;
        final int hash;

        Key(List<StackTraceElement> stack, String type) {
            this.stack = stack;
            this.type = type;
            this.hash = 31 * stack.hashCode() + type.hashCode();
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && k.type.equals(type) && k.stack.equals(stack);
        }
    }

    /** Adds a sample; returns its site's counters. */
    Counters add(Allocation a) {
        // Class.getName() is cached by the JDK: no allocation here, unlike getTypeName().
        Key key = new Key(a.stack(), a.type().getName());
        Counters c = sites.get(key);
        if (c == null) {
            c = sites.computeIfAbsent(key, k -> new Counters());
        }
        c.add(a.weight(), 1);
        return c;
    }

    void clear() {
        sites.clear();
    }

    ProfileSnapshot snapshot() {
        List<ProfileSnapshot.Site> out = new ArrayList<>(sites.size());
        for (Map.Entry<Key, Counters> e : sites.entrySet()) {
            long samples = e.getValue().samples.sum();
            if (samples != 0) {
                out.add(new ProfileSnapshot.Site(e.getKey().stack, typeName(e.getKey().type),
                        e.getValue().bytes.sum(), samples));
            }
        }
        return new ProfileSnapshot(out);
    }

    /** {@code [B} to {@code byte[]}, {@code [Ljava.lang.String;} to {@code java.lang.String[]}. */
    static String typeName(String binaryName) {
        if (binaryName.isEmpty() || binaryName.charAt(0) != '[') {
            return binaryName;
        }
        int dims = 0;
        while (dims < binaryName.length() && binaryName.charAt(dims) == '[') {
            dims++;
        }
        String rest = binaryName.substring(dims);
        String element;
        switch (rest) {
            case "Z" -> element = "boolean";
            case "B" -> element = "byte";
            case "C" -> element = "char";
            case "S" -> element = "short";
            case "I" -> element = "int";
            case "J" -> element = "long";
            case "F" -> element = "float";
            case "D" -> element = "double";
            default -> element = rest.startsWith("L") && rest.endsWith(";")
                    ? rest.substring(1, rest.length() - 1) : rest;
        }
        return element + "[]".repeat(dims);
    }
}
