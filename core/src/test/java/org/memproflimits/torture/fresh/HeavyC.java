package org.memproflimits.torture.fresh;

import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.memproflimits.torture.FreshHooks;

/** A static initializer that runs a stream pipeline (lambdas, concatenation) over 3000 items. */
final class HeavyC {
    static final long DIGEST;

    static {
        String joined = IntStream.range(0, 3000)
                .mapToObj(i -> "c" + i + ':' + (i * 31))
                .collect(Collectors.joining(","));
        long d = joined.length();
        for (int i = 0; i < 24; i++) {
            d += new char[8192].length;                     // 16 KiB each
        }
        DIGEST = d;
        FreshHooks.initialized();
    }

    private HeavyC() {
    }
}
