package org.memproflimits.stress;

import java.util.concurrent.locks.LockSupport;
import org.memproflimits.Masking;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Token;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * A task that parks inside Masking.mask under a token set by another thread: masked code never
 * sees the wake-up's interrupt status (it is held back and delivered after the mask), the task
 * ends Interrupted iff the set happened while it ran, and nothing is left set afterwards.
 * Result: (outcome, interrupt status seen inside the mask, isBlocked seen inside the mask,
 * interrupt status after the call).
 */
@JCStressTest
@Description("Masked code never sees a token's wake-up")
@Outcome(id = "0, 0, 1, 0", expect = Expect.ACCEPTABLE, desc = "set after the task")
@Outcome(id = "1, 0, 1, 0", expect = Expect.ACCEPTABLE_INTERESTING, desc = "set while the task ran")
@Outcome(id = "3, 0, 1, 0", expect = Expect.ACCEPTABLE, desc = "set before the task started: it did not run")
@Outcome(id = ".*, 1, .*, .*", expect = Expect.FORBIDDEN, desc = "masked code saw the interrupt status")
@Outcome(id = ".*, .*, 0, .*", expect = Expect.FORBIDDEN, desc = "Masking.isBlocked() false inside mask")
@Outcome(id = ".*, .*, .*, 1", expect = Expect.FORBIDDEN, desc = "the interrupt status was left set")
@Outcome(expect = Expect.FORBIDDEN, desc = "another outcome")
@State
public class MaskedCodeNeverSeesWakeUp {
    final Token token = new Token();

    @Actor
    public void setter() {
        Work.delay();
        token.set();
    }

    @Actor
    public void task(IIII_Result r) {
        boolean[] ran = {false};
        try {
            Result<Boolean> res = MemprofLimits.limitWithToken(token, () -> Masking.mask(() -> {
                ran[0] = true;
                LockSupport.parkNanos(20_000);
                r.r2 = Thread.currentThread().isInterrupted() ? 1 : 0;
                r.r3 = Masking.isBlocked() ? 1 : 0;
                return Boolean.TRUE;
            }));
            r.r1 = Work.code(res, ran[0]);
        } catch (Throwable t) {
            r.r1 = Work.OTHER;
        }
        if (!ran[0]) {
            r.r3 = 1;                               // a task under a pre-set token does not run
        }
        r.r4 = Thread.interrupted() ? 1 : 0;
    }
}
