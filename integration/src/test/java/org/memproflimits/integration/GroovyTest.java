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
    void runawayScriptsStopAndTheShellRunsTheNextOne() throws Exception {
        Binding binding = new Binding();
        binding.setVariable("counter", new int[1]);
        GroovyShell shell = new GroovyShell(binding);

        // The hoard is the script's local variable: it also serves as the runaway that retains.
        String hoard = "def hoard = []; while (true) { hoard << [n: hoard.size(), s: 'v' + hoard.size()] }";
        RunawayScripts.stopEachAndCheck(shell::evaluate, CHECK, hoard, hoard,
                "def x = 0G; while (true) { x = (x * 31 + 7) % 1000003 }",
                // catches Throwable in a loop, as careless script code does: the interrupt arises
                // again at each sample until the task returns, so the loop ends at the first
                // sample that falls outside its try (at caught++, boxing)
                "def caught = 0; while (true) { try { def s = ''; for (i in 0..<10000) { s += i } }"
                        + " catch (Throwable t) { caught++ } }");
        RunawayScripts.stopLoopsThatNeverAllocate(shell::evaluate, CHECK, "while (true) {}", "for (int i = 0;; i++) {}");
    }

    /** Compiling (a new class each time) and running a script, interrupted anywhere. */
    @Test
    void workInterruptedAnywhereLeavesTheShellRight() throws Exception {
        GroovyShell shell = new GroovyShell();
        // Measured 958 of 1000 (0.96) on JDK 17, 933 and 932 (0.93) on JDK 25; at a conservative
        // 0.80 (see InterruptedAnywhere), the floor at CI size is 53 of 100:
        // P(Binomial(100, 0.80) < 53) = 3.2e-10 (false failure).
        InterruptedAnywhere.check("Groovy", 100, 4, 0.80, () -> String.valueOf(shell.evaluate(
                "def people = (0..<200).collect { [name: 'p' + it, age: it % 90, tag: 't' + (it % 7)] }\n"
                        + "def byTag = people.groupBy { it.tag }.collectEntries { k, v -> [k, v*.age.sum()] }\n"
                        + "def json = groovy.json.JsonOutput.toJson(byTag)\n"
                        + "def back = new groovy.json.JsonSlurper().parseText(json)\n"
                        + "back.values().sum() + ':' + json.size() + ':' + 'abc-def-ghi'.replaceAll(/-(\\w)/) { m, c -> c.toUpperCase() }")));
    }
}
