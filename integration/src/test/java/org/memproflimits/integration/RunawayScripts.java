package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Task;

/** The runaway half of the script-engine tests: each runaway stopped, the engine used again. */
final class RunawayScripts {
    private RunawayScripts() {
    }

    /** Evaluates a script in the engine under test, in its one context or scope. */
    interface ScriptRunner {
        Object eval(String source) throws Exception;
    }

    /**
     * Runs {@code retain} - a script that keeps what it builds, without end, in a variable of its
     * own (not the engine's globals, so that it is garbage afterwards) - under the global memory
     * limit (see {@link GlobalLimit}), then {@code hoard} under a 64 MiB allocation limit, then
     * each of {@code spins} under a token set after 100 ms: each must end {@code Interrupted} by
     * its own limit. After each, {@code check} - a script that adds one to a counter n kept in
     * the engine and returns "n,2n,3n" - must give the next answer, from the same engine and
     * state. (The global limit comes first, before a hoard kept in the engine's globals adds to
     * the heap in use.)
     */
    static void stopEachAndCheck(ScriptRunner engine, String check, String hoard, String retain, String... spins)
            throws Exception {
        String caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass().getSimpleName();
        GlobalLimit.stop(caller + ": a script retaining its data", () -> engine.eval(retain));
        int n = 1;
        assertEquals(n + "," + 2 * n + "," + 3 * n, String.valueOf(engine.eval(check)));
        Result<Allocated<Object>> hoarded = MemprofLimits.limitAllocations(64L << 20, () -> engine.eval(hoard));
        assertEquals(Limit.ALLOCATIONS, ((Result.Interrupted<?>) hoarded).limit(), Endless.describe(hoarded));
        n++;
        assertEquals(n + "," + 2 * n + "," + 3 * n, String.valueOf(engine.eval(check)));
        for (String spin : spins) {
            Result<Object> spun = MemprofLimits.limitWithToken(Endless.setAfter(100), () -> engine.eval(spin));
            assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) spun).limit(), spin + ": " + Endless.describe(spun));
            n++;
            assertEquals(n + "," + 2 * n + "," + 3 * n, String.valueOf(engine.eval(check)));
        }
    }

    /**
     * Runs each of {@code loops} - scripts that spin without end and allocate nothing (or next
     * to nothing), so that no sample stops them: the outside stop's work - under a token set
     * after 100 ms, under {@code limitTime(100 ms)} and under {@code limitCpuTime(100 ms)}: each
     * must end {@code Interrupted} by its own limit, and after each {@code check} must give the
     * next answer from the same engine and state (see {@link #stopEachAndCheck}).
     */
    static void stopLoopsThatNeverAllocate(ScriptRunner engine, String check, String... loops) throws Exception {
        int n = Integer.parseInt(String.valueOf(engine.eval(check)).split(",")[0]);
        for (String loop : loops) {
            for (Limit limit : new Limit[] {Limit.TOKEN, Limit.TIME, Limit.CPU_TIME}) {
                Task<Object, Exception> run = () -> engine.eval(loop);
                Result<Object> r = limit == Limit.TOKEN ? MemprofLimits.limitWithToken(Endless.setAfter(100), run)
                        : limit == Limit.TIME ? MemprofLimits.limitTime(Duration.ofMillis(100), run)
                        : MemprofLimits.limitCpuTime(Duration.ofMillis(100), run);
                assertEquals(limit, ((Result.Interrupted<?>) r).limit(), loop + " under " + limit + ": " + Endless.describe(r));
                n++;
                assertEquals(n + "," + 2 * n + "," + 3 * n, String.valueOf(engine.eval(check)), loop + " under " + limit);
            }
        }
    }
}
