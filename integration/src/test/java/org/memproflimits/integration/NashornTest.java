package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import javax.script.ScriptEngine;
import org.junit.jupiter.api.Test;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.openjdk.nashorn.api.scripting.NashornScriptEngineFactory;

/**
 * Nashorn (standalone, the engine delight-nashorn-sandbox guards with a watchdog): scripts are
 * compiled to classes and linked through {@code invokedynamic} call sites that relink as types
 * change - the places an interrupt must not poison. Runaway scripts are stopped by each limit,
 * then the same engine and its globals run the next script.
 */
class NashornTest {
    static final String CHECK = "counter.n += 1; [1, 2, 3].map(function (v) { return v * counter.n; }).join(',')";

    @Test
    void runawayScriptsStopAndTheEngineRunsTheNextOne() throws Exception {
        ScriptEngine engine = new NashornScriptEngineFactory().getScriptEngine();
        engine.eval("var counter = {n: 0};");

        RunawayScripts.stopEachAndCheck(engine::eval, CHECK,
                "var hoard = []; while (true) { hoard.push({n: hoard.length, s: 'v' + hoard.length}); }",
                RhinoTest.RETAIN,
                // types change as it runs (int, double, string, object): call sites relink
                "var vals = [1, 2.5, 'three', {four: 4}, [5]]; var acc = 0, i = 0;"
                        + " while (true) { var v = vals[i++ % vals.length]; acc = (acc + v).length || acc + 1; }",
                "var caught = 0; while (true) { try { var s = ''; for (var i = 0; i < 1e4; i++) { s += i; } }"
                        + " catch (e) { caught++; } }");
        RunawayScripts.stopLoopsThatNeverAllocate(engine::eval, CHECK,
                "while (true) {}", "for (var i = 0;; i++) {}", "(function () { for (var i = 0;; i++) {} })()");
    }

    /** Compiling, linking and running a new script each time, interrupted anywhere. */
    @Test
    void workInterruptedAnywhereLeavesTheEngineRight() throws Exception {
        ScriptEngine engine = new NashornScriptEngineFactory().getScriptEngine();
        AtomicInteger unique = new AtomicInteger();
        // Measured 1378 of 1500 (0.92) on JDK 17, 1359 (0.91) on JDK 25; at a conservative 0.80 (see
        // InterruptedAnywhere), the floor at CI size is 88 of 150: P(Binomial(150, 0.80) < 88) =
        // 7.0e-10 (false failure).
        InterruptedAnywhere.check("Nashorn", 150, 3, 0.80, () -> {
            String f = "f" + unique.incrementAndGet();      // a new source: compiled, not cached
            return String.valueOf(engine.eval("function " + f + "() { return " + RhinoTest.WORK + "; } " + f + "()"));
        });
    }
}
