package org.memproflimits.torture.fresh;

import org.memproflimits.torture.FreshHooks;

/** A static initializer that waits briefly (for a background computation, say). */
final class SleepyInit {
    static final long STARTED;

    static {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while initializing", e);
        }
        STARTED = System.nanoTime();
        FreshHooks.initialized();
    }

    private SleepyInit() {
    }

    static long run(long x) {
        return STARTED ^ x;
    }
}
