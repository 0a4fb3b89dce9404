package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Task;

/**
 * The global memory limit's side of the runaway tests: a runaway that retains what it reads or
 * builds, without end, runs under {@link MemprofLimits#limitGlobalMemory} and must end
 * {@code Interrupted(GLOBAL_MEMORY)}; the limit is then disabled (-1) again, and the caller
 * checks that the same engine does its next piece of work right.
 *
 * <p>The limit is derived from the heap's maximum (integration/pom.xml runs the tests at
 * -Xmx512m): the heap in use after a collection before the runaway, plus a quarter of the
 * maximum (128 MiB), so that it is the runaway's own data that takes the heap over - whatever
 * the tests before left in use (caches held by soft references survive {@code System.gc()}: at
 * {@code -Dintegration.runsFactor=10}, over 100 MiB after Groovy's thousand compilations). That
 * sum must not exceed 5/8 of the maximum (asserted), leaving at least 3/8 above the limit.
 *
 * <p>Deterministic but for the sampling: the engine checks the limit at the task's samples (one
 * per 16 KiB allocated, on average), and to run out of heap instead the runaway must allocate
 * at least the 3/8 of the heap above the limit (192 MiB, 12,288 sampling intervals): even if the
 * engine needed a hundred samples past the limit, fewer than that fall there with probability
 * below e^-11700 (false failure).
 */
final class GlobalLimit {
    private static final long HEAP = Runtime.getRuntime().maxMemory();
    /** What the runaway retains, at least, before the heap is over the limit: a quarter of the heap. */
    static final long RUNAWAY = HEAP / 4;

    private GlobalLimit() {
    }

    /**
     * Runs {@code runaway} under the global memory limit (the heap in use plus {@link #RUNAWAY}),
     * then disables the limit; asserts that it ended Interrupted(GLOBAL_MEMORY).
     */
    static <T> Result<T> stop(String what, Task<T, Exception> runaway) throws Exception {
        System.gc();
        long before = usedHeap();
        long limit = before + RUNAWAY;
        assertTrue(limit <= HEAP / 8 * 5, what + ": " + (before >> 20) + " MiB in use before the runaway, in a heap of "
                + (HEAP >> 20) + " MiB: no room for a limit " + (RUNAWAY >> 20) + " MiB above it with 3/8 of the heap above that");
        long t0 = System.nanoTime();
        MemprofLimits.setGlobalMemoryLimit(limit);
        Result<T> r;
        try {
            r = MemprofLimits.limitGlobalMemory(runaway);
        } finally {
            MemprofLimits.setGlobalMemoryLimit(-1);
        }
        System.out.printf("%s: %s under a global memory limit of %d MiB (%d MiB in use before, max heap %d MiB) "
                + "after %d ms%n", what, Endless.describe(r), limit >> 20, before >> 20, HEAP >> 20,
                (System.nanoTime() - t0) / 1_000_000);
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r, what + ": " + Endless.describe(r));
        assertEquals(Limit.GLOBAL_MEMORY, i.limit(), what);
        return r;
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
