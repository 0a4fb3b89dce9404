package org.memproflimits.stress;

import org.memproflimits.Token;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IZZ_Result;

/**
 * An allocating task under limitWithToken in one thread, its token set by another: it ends Ok
 * or Interrupted(TOKEN), Interrupted only if the token is set, and the thread's interrupt status
 * is never left set. Result: (outcome 0 Ok / 1 Interrupted(TOKEN) / 2 other / 3 Interrupted(TOKEN)
 * without running, the token seen set
 * right after the call, the interrupt status after the call).
 */
@JCStressTest
@Description("A token set by another thread interrupts an allocating task, and leaves no interrupt status")
@Outcome(id = "0, false, false", expect = Expect.ACCEPTABLE, desc = "the task ended before the set")
@Outcome(id = "0, true, false", expect = Expect.ACCEPTABLE, desc = "set after the task's last sample")
@Outcome(id = "1, true, false", expect = Expect.ACCEPTABLE_INTERESTING, desc = "interrupted by the token")
@Outcome(id = "3, true, false", expect = Expect.ACCEPTABLE, desc = "set before the task started: it did not run")
@Outcome(id = "[13], false, .*", expect = Expect.FORBIDDEN, desc = "Interrupted while the token is not set")
@Outcome(id = ".*, .*, true", expect = Expect.FORBIDDEN, desc = "the interrupt status was left set")
@Outcome(expect = Expect.FORBIDDEN, desc = "another outcome (an exception, a wrong limit)")
@State
public class TokenInterruptsTask {
    final Token token = new Token();

    @Actor
    public void setter() {
        Work.delay();
        token.set();
    }

    @Actor
    public void task(IZZ_Result r) {
        Work.underToken(token, Work::allocate, r);
    }
}
