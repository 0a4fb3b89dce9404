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
 * instance does the work right, unlimited: its whole result equal to the one computed before,
 * without limits.
 *
 * <p>The check that enough runs were interrupted guards against a test that tests little or
 * nothing. With work of W bytes, a limit uniform in [0, W) and samples every S bytes on average,
 * a run is interrupted unless no sample falls in its last W - limit bytes: probability
 * 1 - (S/W)(1 - e^(-W/S)), 0.68 at W = 3 S, more above; samples deferred under class loading or
 * in masked code lower it. W is the least of a few counts once the engine is warm (see
 * {@link #steadyBytes}). Each caller passes a conservative rate for its work: the lower of the
 * rates measured in long runs (runsFactor=10: 1000 or 1500 runs) on JDK 17 and JDK 25, less at
 * least 0.1 - over six standard deviations of such a measurement, which also covers the CI
 * run's limits being the first tenth of the same seeded draws - rounded down to a multiple of
 * 0.05. The floor is the largest k with P(Binomial(runs, rate) < k) <= 1e-9, summed exactly
 * (see {@link #below}); the runs' probabilities differ with their limits, and by Hoeffding's
 * theorem (1956) the number of successes of independent trials with mean probability p falls
 * below such a k (far below the mean) at most as often as a Binomial(runs, p) count does. So
 * the false-failure probability is at most 1e-9 per engine as long as the engine's mean rate is
 * at least the rate passed, and a regression that halves the rate fails. Each caller states its
 * measured rates and its floor at CI size (runsFactor=1).
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
     * @param rate a conservative probability that a run is interrupted (see the class comment)
     * @param work one unit of work on the engine under test, returning its whole result, to be
     *             compared with the one computed without limits
     * @return how many runs were interrupted
     */
    static <T> int check(String engine, int runs, long seed, double rate, Task<T, Exception> work) throws Exception {
        runs *= Integer.getInteger("integration.runsFactor", 1);  // mvn ... -Dintegration.runsFactor=10
        T expected = work.run();                        // warm: first-use costs are not the work's
        long bytes = steadyBytes(engine, expected, work);
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
        assertInterruptedAtLeast(engine, interrupted, runs, rate);
        return interrupted;
    }

    /** The number of unlimited runs {@link #steadyBytes} takes the least count of. */
    static final int MEASURED_RUNS = 5;

    /**
     * What one unit of work allocates once the engine is warm: the least of MEASURED_RUNS
     * counts, each run's result checked against {@code expected}. The first runs after the warm
     * one can allocate more than later ones while the JIT compiles the engine (Jackson's work:
     * 189 KB, then 160 KB from the third run on, on JDK 17; 426 KB, then 167 KB, on JDK 25), and
     * a limit drawn above what the work allocates never interrupts it.
     */
    static <T> long steadyBytes(String engine, T expected, Task<T, Exception> work) throws Exception {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < MEASURED_RUNS; i++) {
            Allocated<T> a = MemprofLimits.limitAllocations(MemprofLimits.MAX_ALLOCATION_LIMIT, work).orElseThrow();
            assertEquals(expected, a.value(), engine + ", unlimited run " + i);
            least = Math.min(least, a.bytes());
        }
        return least;
    }

    /**
     * Asserts that at least {@link #floor}{@code (runs, rate)} of {@code runs} were interrupted,
     * and prints the floor with its false-failure probability.
     */
    static void assertInterruptedAtLeast(String engine, int interrupted, int runs, double rate) {
        int floor = floor(runs, rate);
        System.out.printf("%s: floor %d of %d runs interrupted (P(Binomial(%d, %.2f) < %d) = %.2g)%n",
                engine, floor, runs, runs, rate, floor, below(runs, floor, rate));
        assertTrue(interrupted >= floor, engine + ": only " + interrupted + " of " + runs
                + " runs were interrupted, fewer than " + floor + ": at a rate of " + rate
                + " or more per run, this happens with probability " + below(runs, floor, rate));
    }

    /** The largest k with P(Binomial(n, p) < k) <= 1e-9. */
    static int floor(int n, double p) {
        int k = 0;
        while (k < n && below(n, k + 1, p) <= 1e-9) {
            k++;
        }
        return k;
    }

    /**
     * P(Binomial(n, p) < k), summed exactly term by term (in logarithms, so that no term
     * underflows before it is added; terms below 1e-300 are dropped).
     */
    static double below(int n, int k, double p) {
        double logTerm = n * Math.log1p(-p);               // P(X = 0)
        double ratio = Math.log(p) - Math.log1p(-p);
        double sum = 0;
        for (int j = 0; j < k; j++) {
            sum += Math.exp(logTerm);
            logTerm += Math.log((double) (n - j) / (j + 1)) + ratio;
        }
        return sum;
    }
}
