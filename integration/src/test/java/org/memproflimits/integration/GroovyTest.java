package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import groovy.lang.Binding;
import groovy.lang.GroovyShell;
import org.junit.jupiter.api.Test;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;

/**
 * Groovy, the usual embedded rule language: each script is compiled to classes (parsing, AST
 * transforms, ASM, a class loader) and runs through call-site caches. Runaway scripts are stopped
 * by each limit and compilations interrupted anywhere; the same shell, its binding and its class
 * loader then compile and run the next script.
 */
class GroovyTest {
    static final String CHECK = "counter[0] += 1; [1, 2, 3].collect { it * counter[0] }.join(',')";

    @Test
    void runawayScriptsStopAndTheShellRunsTheNextOne() {
        Binding binding = new Binding();
        binding.setVariable("counter", new int[1]);
        GroovyShell shell = new GroovyShell(binding);

        Result<Allocated<Object>> hoard = MemprofLimits.limitAllocations(64L << 20, () -> shell.evaluate(
                "def hoard = []; while (true) { hoard << [n: hoard.size(), s: 'v' + hoard.size()] }"));
        assertEquals(Limit.ALLOCATIONS, ((Result.Interrupted<?>) hoard).limit(), Endless.describe(hoard));
        assertEquals("1,2,3", shell.evaluate(CHECK));

        Result<Object> spin = MemprofLimits.limitWithToken(Endless.setAfter(100), () -> shell.evaluate(
                "def x = 0G; while (true) { x = (x * 31 + 7) % 1000003 }"));
        assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) spin).limit(), Endless.describe(spin));
        assertEquals("2,4,6", shell.evaluate(CHECK));

        // catches Throwable in a loop, as careless script code does: the interrupt arises again
        // at each sample until the task returns, so the loop ends at the first sample that
        // falls outside its try (at caught++, boxing)
        Result<Object> swallow = MemprofLimits.limitWithToken(Endless.setAfter(100), () -> shell.evaluate(
                "def caught = 0; while (true) { try { def s = ''; for (i in 0..<10000) { s += i } }"
                        + " catch (Throwable t) { caught++ } }"));
        assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) swallow).limit(), Endless.describe(swallow));
        assertEquals("3,6,9", shell.evaluate(CHECK));
    }

    /** Compiling (a new class each time) and running a script, interrupted anywhere. */
    @Test
    void workInterruptedAnywhereLeavesTheShellRight() throws Exception {
        GroovyShell shell = new GroovyShell();
        InterruptedAnywhere.check("Groovy", 100, 4, () -> String.valueOf(shell.evaluate(
                "def people = (0..<200).collect { [name: 'p' + it, age: it % 90, tag: 't' + (it % 7)] }\n"
                        + "def byTag = people.groupBy { it.tag }.collectEntries { k, v -> [k, v*.age.sum()] }\n"
                        + "def json = groovy.json.JsonOutput.toJson(byTag)\n"
                        + "def back = new groovy.json.JsonSlurper().parseText(json)\n"
                        + "back.values().sum() + ':' + json.size() + ':' + 'abc-def-ghi'.replaceAll(/-(\\w)/) { m, c -> c.toUpperCase() }")));
    }
}
