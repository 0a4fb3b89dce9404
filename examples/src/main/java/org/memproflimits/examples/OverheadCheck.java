package org.memproflimits.examples;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Token;

/**
 * One allocation-heavy workload (maps of strings, lists of boxed numbers, string building) timed
 * in one of three modes: {@code off} (engine never loaded), {@code on} (engine started, no
 * limit), {@code limited} (inside all three limits, none reached). Prints the best of the timed
 * rounds in milliseconds. {@code scripts/overhead.sh} alternates fresh JVMs of each mode and
 * prints the ratios; on a noisy machine only ratios measured side by side mean anything.
 */
public final class OverheadCheck {
    private static volatile Object sink;

    private OverheadCheck() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "off";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        if (!mode.equals("off")) {
            MemprofLimits.start();
            MemprofLimits.setGlobalMemoryLimit(Long.MAX_VALUE / 2);
        }
        long best = Long.MAX_VALUE;
        long allocated = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            if (mode.equals("limited")) {
                Token never = new Token();
                MemprofLimits.limitWithToken(never, () -> MemprofLimits.limitGlobalMemory(() ->
                        MemprofLimits.limitAllocations(MemprofLimits.MAX_ALLOCATION_LIMIT,
                                OverheadCheck::workload))).orElseThrow();
            } else {
                workload();
            }
            long t = System.nanoTime() - t0;
            if (r >= rounds / 3) {
                best = Math.min(best, t);     // the first third warms up the JIT
            }
        }
        System.out.println(mode + " " + best / 1_000_000.0);
    }

    /** About 2 GB of short-lived allocation per round. */
    static Object workload() {
        Object last = null;
        for (int batch = 0; batch < 240; batch++) {
            Map<String, List<Integer>> index = new HashMap<>();
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 50_000; i++) {
                String key = "k" + (i % 5000);
                index.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
                text.append(key).append(',');
                if (text.length() > 4096) {
                    last = text.toString();
                    text.setLength(0);
                }
            }
            sink = index;
        }
        return last;
    }
}
