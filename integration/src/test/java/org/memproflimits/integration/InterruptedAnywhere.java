package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.memproflimits.Allocated;
import org.memproflimits.Masking;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Task;

/**
 * Runs one unit of an engine's work again and again under an allocation limit drawn uniformly
 * below what the work allocates, so that the interrupt arises at a random point of it (the
 * module samples every 16 KiB on average), and after each run checks that the same engine
 * instance does the work right, unlimited.
 *
 * <p>The check that some runs were interrupted at all guards against a test that tests nothing.
 * With work of W bytes, a limit uniform in [0, W) and samples every S bytes on average, a run
 * is interrupted unless no sample falls in its last W - limit bytes: probability
 * 1 - (S/W)(1 - e^(-W/S)), 0.68 at W = 3 S (Jackson, the smallest here), more above. Samples
 * deferred under class loading lower it; the rates measured were 0.66-1.0 per engine. At 0.3,
 * no interrupt in 100 runs has probability 0.7^100 = 3e-16 (false failure).
 */
final class InterruptedAnywhere {
    private InterruptedAnywhere() {
    }

    /** Runs {@code body} with {@code packageName} unmasked, then masks it again. */
    static <T> T withPackageUnmasked(String packageName, Task<T, Exception> body) throws Exception {
        Masking.unmaskPackage(packageName);
        try {
            return body.run();
        } finally {
            Masking.maskPackage(packageName);
        }
    }

    /**
     * @param work one unit of work on the engine under test, returning a value that shows
     *             whether it was done right
     * @return how many runs were interrupted
     */
    static <T> int check(String engine, int runs, long seed, Task<T, Exception> work) throws Exception {
        runs *= Integer.getInteger("integration.runsFactor", 1);  // mvn ... -Dintegration.runsFactor=10
        T expected = work.run();                        // warm: first-use costs are not the work's
        long bytes = MemprofLimits.limitAllocations(MemprofLimits.MAX_ALLOCATION_LIMIT, work).orElseThrow().bytes();
        Random random = new Random(seed);
        int interrupted = 0;
        for (int i = 0; i < runs; i++) {
            Result<Allocated<T>> r = MemprofLimits.limitAllocations((long) (bytes * random.nextDouble()), work);
            if (r instanceof Result.Interrupted<?>) {
                interrupted++;
            } else {
                assertEquals(expected, ((Result.Ok<Allocated<T>>) r).value().value(), engine + ", run " + i);
            }
            T again;
            try {
                again = work.run();
            } catch (Exception | Error e) {
                if (r instanceof Result.Interrupted<?> ri) {
                    e.addSuppressed(new AssertionError("the run before was interrupted here", ri.exception()));
                }
                throw e;
            }
            assertEquals(expected, again, engine + " after run " + i + " (" + Endless.describe(r) + ")");
        }
        System.out.printf("%s: work of %d bytes interrupted in %d of %d runs, right after each%n",
                engine, bytes, interrupted, runs);
        assertTrue(interrupted > 0, engine + ": no run was interrupted: the test tested nothing");
        return interrupted;
    }
}
