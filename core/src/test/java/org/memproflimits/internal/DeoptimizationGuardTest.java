package org.memproflimits.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.memproflimits.MemprofLimits;

/**
 * The shim's guard against running Java code inside a deoptimization (see the comment at the top
 * of memproflimits.c and stress/findings/README.md, finding 1). That the guard fires is shown by
 * {@code scripts/deopt-crash.sh}, which provokes deoptimizations by the hundred thousand and
 * prints how many samples fell inside one; here: that it is armed on the JVMs we support.
 */
class DeoptimizationGuardTest {
    @Test
    void theGuardIsArmedOnHotSpot() {
        // OpenJDK builds of HotSpot call themselves "OpenJDK 64-Bit Server VM", not "HotSpot"
        // (a check for "HotSpot" skipped this test on both CI JDKs).
        String vm = System.getProperty("java.vm.name", "");
        assumeTrue(vm.contains("HotSpot") || vm.contains("Server VM") || vm.contains("Client VM"),
                "HotSpot only, not " + vm);
        MemprofLimits.start();
        assertTrue(NativeSampler.guardsDeoptimization(),
                "AsyncGetCallTrace not found in this HotSpot JVM: samples taken inside a "
                        + "deoptimization would run Java code");
        assertTrue(NativeSampler.droppedInDeoptimization() >= 0);
    }
}
