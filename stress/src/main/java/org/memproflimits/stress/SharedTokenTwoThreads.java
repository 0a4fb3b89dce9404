package org.memproflimits.stress;

import java.util.concurrent.locks.LockSupport;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Token;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * One token guards tasks in two threads; the second task sets it midway. The second is always
 * Interrupted; the first (parked, then allocating) is Interrupted iff it overlapped the set, and
 * is Ok otherwise; no interrupt status is left set in either thread. Result: (first's outcome,
 * first's status after, second's outcome, second's status after).
 */
@JCStressTest
@Description("A token shared by two threads' tasks, set by one of them")
@Outcome(id = "0, 0, 1, 0", expect = Expect.ACCEPTABLE, desc = "the first task ended before the set")
@Outcome(id = "1, 0, 1, 0", expect = Expect.ACCEPTABLE_INTERESTING, desc = "both interrupted")
@Outcome(expect = Expect.FORBIDDEN, desc = "a status left set, or a wrong outcome")
@State
public class SharedTokenTwoThreads {
    final Token token = new Token();

    @Actor
    public void firstTask(IIII_Result r) {
        try {
            r.r1 = Work.code(MemprofLimits.limitWithToken(token, () -> {
                LockSupport.parkNanos(10_000);
                return Work.allocate();
            }));
        } catch (Throwable t) {
            r.r1 = Work.OTHER;
        }
        r.r2 = Thread.interrupted() ? 1 : 0;
    }

    @Actor
    public void secondTask(IIII_Result r) {
        try {
            r.r3 = Work.code(MemprofLimits.limitWithToken(token, () -> {
                token.set();
                return Work.allocate();
            }));
        } catch (Throwable t) {
            r.r3 = Work.OTHER;
        }
        r.r4 = Thread.interrupted() ? 1 : 0;
    }
}
