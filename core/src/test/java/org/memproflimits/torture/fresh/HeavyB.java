package org.memproflimits.torture.fresh;

import java.util.ArrayList;
import java.util.List;
import org.memproflimits.torture.FreshHooks;

/** A heavy static initializer that initializes another fresh class (HeavyC) in the middle. */
final class HeavyB {
    static final long DIGEST;

    static {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            l.add(Integer.toString(i * 7));
        }
        long d = l.size() + HeavyC.DIGEST;                  // nested initialization
        for (int i = 0; i < 32; i++) {
            d += new int[4096].length;                      // 16 KiB each
        }
        l.removeIf(s -> s.length() < 3);                    // a lambda linked inside <clinit>
        DIGEST = d + l.size();
        FreshHooks.initialized();
    }

    private HeavyB() {
    }

    static long digest(long x) {
        return DIGEST + x;
    }
}
