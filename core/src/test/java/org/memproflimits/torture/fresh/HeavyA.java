package org.memproflimits.torture.fresh;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.memproflimits.torture.FreshHooks;

/** A heavy static initializer: about 1 MiB of allocation, string concatenation and a lambda. */
final class HeavyA {
    static final long DIGEST;
    static final String NAME;

    static {
        long d = 17;
        for (int i = 0; i < 48; i++) {
            long[] block = new long[2048];              // 16 KiB each
            block[i] = i;
            d = d * 31 + block[i] + block.length;
        }
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < 1500; i++) {
            m.put("heavyA-" + i, i);
        }
        ToIntFunction<String> len = String::length;
        for (String k : m.keySet()) {
            d += len.applyAsInt(k);
        }
        NAME = "HeavyA[" + m.size() + "]";
        DIGEST = d;
        FreshHooks.initialized();
    }

    private HeavyA() {
    }

    static long digest(long x) {
        return DIGEST ^ x ^ NAME.length();
    }
}
