package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;

/** The runaway half of the script-engine tests: each runaway stopped, the engine used again. */
final class RunawayScripts {
    private RunawayScripts() {
    }

    /** Evaluates a script in the engine under test, in its one context or scope. */
    interface ScriptRunner {
        Object eval(String source) throws Exception;
    }

    /**
     * Runs {@code hoard} under a 64 MiB allocation limit, then each of {@code spins} under a
     * token set after 100 ms: each must end {@code Interrupted} by its own limit. After each,
     * {@code check} - a script that adds one to a counter n kept in the engine and returns
     * "n,2n,3n" - must give the next answer, from the same engine and state.
     */
    static void stopEachAndCheck(ScriptRunner engine, String check, String hoard, String... spins)
            throws Exception {
        Result<Allocated<Object>> hoarded = MemprofLimits.limitAllocations(64L << 20, () -> engine.eval(hoard));
        assertEquals(Limit.ALLOCATIONS, ((Result.Interrupted<?>) hoarded).limit(), Endless.describe(hoarded));
        int n = 1;
        assertEquals(n + "," + 2 * n + "," + 3 * n, String.valueOf(engine.eval(check)));
        for (String spin : spins) {
            Result<Object> spun = MemprofLimits.limitWithToken(Endless.setAfter(100), () -> engine.eval(spin));
            assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) spun).limit(), spin + ": " + Endless.describe(spun));
            n++;
            assertEquals(n + "," + 2 * n + "," + 3 * n, String.valueOf(engine.eval(check)));
        }
    }
}
