package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memproflimits.AllocationWork.Progress;

/**
 * A nested call whose limit was reached returns {@code Interrupted}, even when an enclosing
 * limit is reached too: seed test 2's "the second nested call must return Error", made
 * frequent enough to be seen every time.
 *
 * <p>Library bug, found with {@code SeedScenariosTest} on the engine of commit 7a7f064 (with
 * 4dcf0b6), where this test fails every time, and fixed on main by commit 7fba797 ("fix raise
 * sites (library frames ...)"), where it passes: when an inner and an outer allocation limit are
 * reached at the same sample, the inner call's interrupt ends its task, {@code Engine.run} pops
 * the inner scope, and then allocates the result ({@code new Result.Interrupted}, 24 bytes; or,
 * when the task swallowed the interrupt, a {@code LimitInterrupt} with its stack trace) while
 * nothing is masked and the outer scope is still reached. A heap sample that falls on that
 * allocation raises the outer limit's interrupt inside the inner limit function, which then throws
 * instead of returning its {@code Interrupted} result: the result is lost, and the "iff" guarantee
 * of {@link Result} is broken for the inner call. The untrimmed stack trace of the escaped
 * interrupt points at Engine.java:228, {@code return new Result.Interrupted<>(...)} in the catch
 * block of {@code Engine.run}, right after {@code pop}. At the default interval that happens with
 * probability about 24 / S = 4.6e-5 per such nested call, or more (runs of the 300-thread seed
 * scenario lost 4 and 5 threads of 300 at once); in 24 runs of {@code SeedScenariosTest} on JDK 17
 * (G1 and Parallel) the 2000-thread test failed once and the 300-thread test twice ("an exception
 * escaped the second nested call"), which is where it was first seen. This class runs with a
 * sampling interval of 1 KiB, where the probability is 2.3 % per call: measured 30 to 58 of 2000
 * calls in each of 24 runs (JDK 17 and 25, G1 and Parallel).
 *
 * <p>With a correct engine the test is deterministic: an exception can leave the inner call
 * after its task started only by arising at an allocation of the task, where the inner limit
 * (budget 0, capped by the outer's) is exceeded and so reached, and then the inner call must
 * return {@code Interrupted}. The only statistical part is that each inner task is
 * interrupted at all: it allocates 64 arrays of 1016 bytes = 63.5 S, P(no sample)
 * = exp(-63.5) = 2.6e-28 per call, 2000 calls: 5.3e-25.
 */
class NestedLimitResultTest {

    private static final long S = 1024;

    @BeforeAll
    static void smallSamplingInterval() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                org.memproflimits.testing.ProfileSessionListener.enabled(),
                "this test sets up the engine itself; under the session profile (with-profile) the engine is already started");
        MemprofLimits.setSamplingInterval(S);   // this class runs in a JVM of its own
        MemprofLimits.start();
        assertEquals(S, MemprofLimits.samplingInterval());
        // A thread that existed before the engine started takes its first sample at its next
        // TLAB refill, which can be a megabyte or more away (seen: 1.2 MB with no sample at an
        // interval of 1 KiB); only then does HotSpot place samples at the interval. Allocate
        // past any TLAB first.
        AllocationWork.arrays(new Progress(), 1024, 64 * 1024);
    }

    @Test
    void innerCallReturnsInterruptedWhenOuterIsReachedToo() {
        int calls = 2000;
        int[] interrupted = {0};
        int[] ok = {0};
        int[] escapedAfterStart = {0};
        int[] escapedBeforeStart = {0};
        boolean[] started = {false};
        Throwable[] example = {null};
        Task<Object, RuntimeException> inner = () -> {
            started[0] = true;
            AllocationWork.arrays(new Progress(), 1000, 64);
            return null;
        };
        Result<Allocated<Object>> outer = MemprofLimits.limitAllocations(0, () -> {
            for (int k = 0; k < calls; k++) {
                started[0] = false;
                try {
                    Result<Allocated<Object>> r = MemprofLimits.limitAllocations(
                            MemprofLimits.MAX_ALLOCATION_LIMIT, inner);
                    if (r.isOk()) {
                        ok[0]++;
                    } else {
                        interrupted[0]++;
                    }
                } catch (Throwable t) {
                    // Before the task started, the outer interrupt may arise at the engine's
                    // allocations for the new call (its scope object): that is correct.
                    if (started[0]) {
                        escapedAfterStart[0]++;
                        example[0] = t;
                    } else {
                        escapedBeforeStart[0]++;
                    }
                }
            }
            return null;
        });
        String counts = "of " + calls + " nested calls: " + interrupted[0] + " Interrupted, "
                + ok[0] + " Ok, " + escapedBeforeStart[0] + " threw before their task started, "
                + escapedAfterStart[0] + " threw after their limit was reached, e.g. " + example[0];
        assertTrue(outer instanceof Result.Interrupted, counts);
        assertEquals(0, ok[0], counts);
        assertEquals(0, escapedAfterStart[0], counts);
    }
}
