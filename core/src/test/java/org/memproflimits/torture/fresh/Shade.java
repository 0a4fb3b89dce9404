package org.memproflimits.torture.fresh;

import org.memproflimits.torture.FreshHooks;

/** An enum with a heavy static initializer. */
enum Shade {
    RED, GREEN, BLUE, CYAN, MAGENTA, YELLOW;

    static final int[][] TABLE;

    static {
        TABLE = new int[values().length][];
        for (Shade s : values()) {
            TABLE[s.ordinal()] = new int[16384];            // 64 KiB each
            TABLE[s.ordinal()][0] = s.name().length();
        }
        FreshHooks.initialized();
    }
}
