package org.memproflimits.stress;

import org.memproflimits.Masking;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZZZ_Result;

/**
 * Masking.isBlocked() of one thread is unaffected by another thread's masks, in any
 * interleaving. Result: (actor 1 inside its mask, actor 1 after it, actor 2 before its own mask,
 * actor 2 inside its nested masks).
 */
@JCStressTest
@Description("The mask state is per thread")
@Outcome(id = "true, false, false, true", expect = Expect.ACCEPTABLE, desc = "each thread sees only its own mask")
@Outcome(expect = Expect.FORBIDDEN, desc = "one thread's mask showed in the other")
@State
public class MaskingIsPerThread {

    @Actor
    public void first(ZZZZ_Result r) {
        Masking.mask(() -> {
            r.r1 = Masking.isBlocked();
            return null;
        });
        r.r2 = Masking.isBlocked();
    }

    @Actor
    public void second(ZZZZ_Result r) {
        r.r3 = Masking.isBlocked();
        Masking.mask(() -> Masking.mask(() -> {
            r.r4 = Masking.isBlocked();
            return null;
        }));
    }
}
