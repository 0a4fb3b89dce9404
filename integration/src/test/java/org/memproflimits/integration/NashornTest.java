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

        Result<Allocated<Object>> hoard = MemprofLimits.limitAllocations(64L << 20, () -> engine.eval(
                "var hoard = []; while (true) { hoard.push({n: hoard.length, s: 'v' + hoard.length}); }"));
        assertEquals(Limit.ALLOCATIONS, ((Result.Interrupted<?>) hoard).limit(), Endless.describe(hoard));
        assertEquals("1,2,3", engine.eval(CHECK));

        // types change as it runs (int, double, string, object): call sites relink
        Result<Object> relinking = MemprofLimits.limitWithToken(Endless.setAfter(100), () -> engine.eval(
                "var vals = [1, 2.5, 'three', {four: 4}, [5]]; var acc = 0, i = 0;"
                        + " while (true) { var v = vals[i++ % vals.length]; acc = (acc + v).length || acc + 1; }"));
        assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) relinking).limit(), Endless.describe(relinking));
        assertEquals("2,4,6", engine.eval(CHECK));

        Result<Object> swallow = MemprofLimits.limitWithToken(Endless.setAfter(100), () -> engine.eval(
                "var caught = 0; while (true) { try { var s = ''; for (var i = 0; i < 1e4; i++) { s += i; } }"
                        + " catch (e) { caught++; } }"));
        assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) swallow).limit(), Endless.describe(swallow));
        assertEquals("3,6,9", engine.eval(CHECK));
    }

    /** Compiling, linking and running a new script each time, interrupted anywhere. */
    @Test
    void workInterruptedAnywhereLeavesTheEngineRight() throws Exception {
        ScriptEngine engine = new NashornScriptEngineFactory().getScriptEngine();
        AtomicInteger unique = new AtomicInteger();
        InterruptedAnywhere.check("Nashorn", 150, 3, () -> {
            String f = "f" + unique.incrementAndGet();      // a new source: compiled, not cached
            return String.valueOf(engine.eval("function " + f + "() { return " + RhinoTest.WORK + "; } " + f + "()"));
        });
    }
}
