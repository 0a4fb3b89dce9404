package org.memproflimits.testing;

import java.lang.management.ManagementFactory;
import java.util.function.BooleanSupplier;

/** Helpers for tests that need samples or collections to happen. */
public final class Sampled {
    public static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** Written so that escape analysis keeps every allocation. */
    public static volatile Object sink;

    private Sampled() {
    }

    /**
     * Makes the calling thread's next sample point follow a profile's interval. HotSpot draws a
     * thread's next sample point when it takes a sample, so the first sample after
     * {@code Memprof.start} comes at a distance drawn at the previous interval (at most 512 KiB in these tests); 16 MiB
     * of arrays make sure a sample is taken (probability of none: e^-32).
     */
    public static void takeASample() {
        for (int i = 0; i < 16; i++) {
            sink = new long[1 << 17];                      // 1 MiB, not a byte[]: tests filter those
        }
    }

    /** @return the calling thread's exact count of allocated bytes */
    public static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * Waits, collecting garbage, until {@code done} holds; never longer than {@code maxMillis}.
     *
     * @return whether {@code done} held in time
     */
    public static boolean gcUntil(BooleanSupplier done, long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + maxMillis * 1_000_000;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            System.gc();
            Thread.sleep(20);
        }
        return true;
    }
}
