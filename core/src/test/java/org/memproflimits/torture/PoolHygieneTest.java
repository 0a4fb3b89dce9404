package org.memproflimits.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Pooled-thread hygiene (see {@link PoolHygiene}) at CI size: {@code -Dhygiene.tasks=N} changes
 * the size; {@code scripts/torture.sh hygiene} runs 10^6 tasks.
 */
class PoolHygieneTest {

    @Test
    void noStaleInterruptsAndNoStaleInterruptFlagsOnAPool() throws Exception {
        PoolHygiene.Config cfg = new PoolHygiene.Config();
        PoolHygiene.Report r = new PoolHygiene(cfg).run();
        System.out.print(r.figures());
        assertEquals(0, r.violations, () -> "violations:\n" + r.violationReport);
        assertEquals(cfg.tasks, r.tasks);
        assertTrue(r.tokensSet > 0 && r.tokensSetAfterTheirTask > 0, "the setter did not race the tasks");
    }
}
