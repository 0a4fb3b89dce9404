package org.memproflimits.stress;

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
 * Two tasks in two threads under two tokens; the second sets its own token midway. The first is
 * never interrupted (its token is never set), the second always is, and neither thread is left
 * with its interrupt status set. Result: (first's outcome, first's status after, second's
 * outcome, second's status after).
 */
@JCStressTest
@Description("A token set in one thread never interrupts a task under another token")
@Outcome(id = "0, 0, 1, 0", expect = Expect.ACCEPTABLE, desc = "only the second task was interrupted")
@Outcome(expect = Expect.FORBIDDEN, desc = "a limit reached in one thread showed in the other, or a status was left set")
@State
public class OtherThreadsTokenDoesNotInterrupt {
    final Token first = new Token();
    final Token second = new Token();

    @Actor
    public void firstTask(IIII_Result r) {
        try {
            r.r1 = Work.code(MemprofLimits.limitWithToken(first, Work::allocate));
        } catch (Throwable t) {
            r.r1 = Work.OTHER;
        }
        r.r2 = Thread.interrupted() ? 1 : 0;
    }

    @Actor
    public void secondTask(IIII_Result r) {
        try {
            r.r3 = Work.code(MemprofLimits.limitWithToken(second, () -> {
                Work.allocate();
                second.set();
                return Work.allocate() + Work.allocate();
            }));
        } catch (Throwable t) {
            r.r3 = Work.OTHER;
        }
        r.r4 = Thread.interrupted() ? 1 : 0;
    }
}
