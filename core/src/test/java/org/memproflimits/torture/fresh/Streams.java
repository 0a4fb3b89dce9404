package org.memproflimits.torture.fresh;

import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** A stream pipeline with fresh lambdas and collectors. */
final class Streams {
    private Streams() {
    }

    static long run(long x) {
        Map<Integer, Long> byLength = IntStream.range(0, 200)
                .mapToObj(i -> "s" + (i * x))
                .filter(s -> s.length() > 3)
                .collect(Collectors.groupingBy(String::length, Collectors.counting()));
        return byLength.values().stream().mapToLong(Long::longValue).sum();
    }
}
