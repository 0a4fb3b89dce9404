package org.memproflimits.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The torture test (see {@link Torture}) at CI size: {@code -Dtorture.interrupts=N} changes
 * the size (default 8000); {@code scripts/torture.sh} runs 10^5 interrupts.
 */
class TortureTest {

    @Test
    void everyInvariantHoldsUnderRandomInterrupts() throws Exception {
        Torture.Config cfg = new Torture.Config();
        Torture.Report r = new Torture(cfg).run();
        System.out.print(r.figures());
        check(cfg, r);
    }

    /** The same on virtual threads, JDK 21+; size -Dtorture.virtualInterrupts (default 2000). */
    @Test
    void everyInvariantHoldsOnVirtualThreads() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        Torture.Config cfg = new Torture.Config();
        cfg.virtual = true;
        cfg.interrupts = Long.getLong("torture.virtualInterrupts", 2000);
        Torture.Report r = new Torture(cfg).run();
        System.out.print(r.figures());
        check(cfg, r);
    }

    private static void check(Torture.Config cfg, Torture.Report r) {
        assertEquals(0, r.violations, () -> "violations:\n" + r.violationReport);
        assertTrue(r.get(Torture.DELIVERED) >= cfg.interrupts, "too few interrupts delivered");
        assertTrue(r.get(Torture.RES_ACQUIRED) > 0 && r.get(Torture.FRESH_CLASSES) > 0
                && r.get(Torture.SYNC) > 0 && r.get(Torture.G_UPDATES) > 0, "the mix did not run");
        assertEquals(r.get(Torture.RES_ACQUIRED), r.get(Torture.RES_RELEASED), "acquired != released");
    }
}
