package org.memproflimits.torture.fresh;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.LongUnaryOperator;
import java.util.function.Supplier;

/** Many distinct lambda and method-reference call sites, capturing and not. */
final class Lambdas {
    private Lambdas() {
    }

    static long run(long x) {
        Supplier<long[]> s1 = () -> new long[8];
        Function<Long, String> f1 = v -> Long.toHexString(v);
        LongUnaryOperator op = v -> v * 31 + x;
        BiFunction<String, Integer, String> rep = String::repeat;
        IntFunction<int[]> ctor = int[]::new;
        Function<String, Integer> len = String::length;
        Comparator<String> byLen = Comparator.comparing(len).thenComparing(Function.identity());
        Runnable noop = () -> { };
        noop.run();
        List<String> l = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            l.add(f1.apply(op.applyAsLong(i)));
        }
        l.sort(byLen);
        l.replaceAll(s -> rep.apply(s, 2));
        return s1.get().length + ctor.apply((int) (x & 15)).length + l.get(0).length()
                + l.stream().mapToInt(String::length).sum();
    }
}
